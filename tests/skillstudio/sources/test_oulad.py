"""The OULAD importer loads what the CSVs hold, quirks included, and re-running it changes nothing.

Expected figures are computed here from the CSV files with the csv module, independently of the importer's
pandas/pyarrow reading. The committed slice (tests/fixtures/oulad, see its README) always runs; the 2013
subset in ../shared/data/oulad runs when present (imported once for the session: tests.warehouses' oulad_2013,
which the enrollment features' test on real data reads too).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from skillstudio.db import libpq_url
from skillstudio.lake.store import LocalLakeStore
from skillstudio.privacy.erasure import erase_learner
from skillstudio.sources.oulad import clicks as oulad_clicks
from skillstudio.sources.oulad.files import OuladFormatError, normalise_imd_band, presentation_start
from skillstudio.sources.oulad.importer import import_oulad
from tests.warehouses import OULAD_2013, OuladImport

SLICE = Path(__file__).parents[2] / "fixtures" / "oulad"
TABLES = (
    "courses", "course_runs", "lessons", "users", "learner_profiles", "enrollments", "assessments",
    "assessment_attempts", "learner_events",
)  # fmt: skip


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_counts(directory: Path, clicks_per_run: Counter[str] | None = None) -> dict[str, int]:
    """What an import of ``directory`` must report, from the CSVs alone (and the clicks per run)."""
    runs = {(r["code_module"], r["code_presentation"]) for r in _rows(directory / "courses.csv")}
    for name in ("assessments.csv", "vle.csv", "studentInfo.csv", "studentRegistration.csv"):
        runs |= {(r["code_module"], r["code_presentation"]) for r in _rows(directory / name)}
    registrations = {
        (r["code_module"], r["code_presentation"], r["id_student"])
        for name in ("studentInfo.csv", "studentRegistration.csv")
        for r in _rows(directory / name)
    }
    assessment_run = {
        r["id_assessment"]: (r["code_module"], r["code_presentation"])
        for r in _rows(directory / "assessments.csv")
    }
    attempts = {
        (r["id_assessment"], r["id_student"])
        for r in _rows(directory / "studentAssessment.csv")
        if r["id_assessment"] in assessment_run
        and (*assessment_run[r["id_assessment"]], r["id_student"]) in registrations
        and r["date_submitted"] != ""
    }
    sites = {r["id_site"] for r in _rows(directory / "vle.csv")}
    clicks: Counter[tuple[str, ...]] = Counter()
    with (directory / "studentVle.csv").open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            # Rows cut short or with an empty value are not loaded (and reported), nor clicks on unknown
            # sites or by students not registered on the presentation.
            if len(row) != 6 or "" in row:
                continue
            module, presentation, student, site, day, count = row
            if site in sites and (module, presentation, student) in registrations:
                clicks[(student, site, day)] += int(count)
                if clicks_per_run is not None:
                    clicks_per_run[f"oulad:module:{module} {presentation}"] += int(count)
    return {
        "courses": len({module for module, _ in runs}),
        "course_runs": len(runs),
        "learners": len({student for _, _, student in registrations}),
        "enrollments": len(registrations),
        "assessments": len(assessment_run),
        "attempts": len(attempts),
        "click_events": len(clicks),
        "clicks": sum(clicks.values()),
    }


def stored_counts(conn: psycopg.Connection) -> dict[str, int]:
    """The same figures, read back from the database."""

    def one(query: str) -> int:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0] or 0)

    return {
        "courses": one("select count(*) from courses"),
        "course_runs": one("select count(*) from course_runs"),
        "learners": one(
            "select count(*) from users where external_id like 'oulad:student:%' and email is null"
        ),
        "enrollments": one("select count(*) from enrollments"),
        "assessments": one("select count(*) from assessments"),
        "attempts": one("select count(*) from assessment_attempts"),
        "click_events": one("select count(*) from learner_events where verb = 'experienced'"),
        "clicks": one(
            "select sum((extensions->>'clicks')::bigint) from learner_events where verb = 'experienced'"
        ),
    }


def snapshot(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of the tables an import writes."""
    result = {}
    for table in TABLES:
        row = conn.execute(
            f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {table} t"
        ).fetchone()
        assert row is not None
        result[table] = (row[0], row[1])
    return result


def run_import(url: str, directory: Path) -> dict[str, object]:
    with psycopg.connect(libpq_url(url)) as conn:
        return json.loads(import_oulad(conn, directory).to_json())


def test_presentation_codes_and_imd_bands() -> None:
    assert presentation_start("2013B") == date(2013, 2, 1)
    assert presentation_start("2014J") == date(2014, 10, 1)
    assert presentation_start("2031B") == date(2031, 2, 1)
    with pytest.raises(OuladFormatError, match="2014X"):
        presentation_start("2014X")
    assert normalise_imd_band("10-20") == "10-20%"
    assert normalise_imd_band("90-100%") == "90-100%"
    assert normalise_imd_band(None) is None


def test_slice_loads_what_the_csvs_hold(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny blocks and pages: repeated student × site × day rows land in different blocks and pages.
    monkeypatch.setattr(oulad_clicks, "BLOCK_BYTES", 160)
    monkeypatch.setattr(oulad_clicks, "PAGE_ROWS", 3)
    summary = run_import(fresh_database, SLICE)
    expected = expected_counts(SLICE)
    assert {key: summary[key] for key in expected} == expected
    assert expected["clicks"] == 1371 and expected["click_events"] == 8  # fixed by the slice's README
    assert summary["skipped"] == {
        "studentVle.csv: rows with too few or too many fields": 1,
        "studentVle.csv: rows with an empty value": 1,
        "click events: id_site not in vle.csv": 1,
    }
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        assert stored_counts(conn) == expected
        # Three rows of 28400 on site 546712 at day -10, two of them far apart, sum to one event of 7.
        repeated = conn.execute(
            "select e.occurred_at, e.extensions from learner_events e join lessons l on e.object_id = "
            "l.lesson_id::text join users u on u.user_id = e.actor_id where l.external_id = "
            "'oulad:site:546712' and u.external_id = 'oulad:student:28400'"
        ).fetchall()
        assert repeated == [(datetime(2013, 9, 21, tzinfo=UTC), {"clicks": 7})]
        runs = dict(conn.execute("select code, starts_on from course_runs").fetchall())
        assert runs == {"2013J": date(2013, 10, 1), "2014J": date(2014, 10, 1), "2014B": date(2014, 2, 1)}
        bands = dict(
            conn.execute(
                "select u.external_id, p.attributes->>'imd_band' from learner_profiles p join users u "
                "using (user_id) where u.external_id in ('oulad:student:28400', 'oulad:student:60002')"
            ).fetchall()
        )
        assert bands == {"oulad:student:28400": "10-20%", "oulad:student:60002": None}
        # Pass mark 40: 40 passes, 39 fails; no score -> completed without result; banked is kept.
        attempts = {
            (assessment, student): rest
            for assessment, student, *rest in conn.execute(
                "select split_part(a.external_id, ':', 3), split_part(s.external_id, ':', 3), t.status, "
                "t.score_scaled, t.is_banked, e.verb, e.success, e.score_raw, e.extensions "
                "from assessment_attempts t join assessments a using (assessment_id) "
                "join users s using (user_id) "
                "join learner_events e on e.object_id = a.assessment_id::text and e.actor_id = t.user_id"
            ).fetchall()
        }
        assert len(attempts) == expected["attempts"]
        assert attempts["1752", "28400"] == ["graded", 0.39, False, "failed", False, 39.0, {}]
        assert attempts["1752", "30268"] == ["submitted", None, False, "completed", None, None, {}]
        assert attempts["1753", "11391"] == ["graded", 0.4, False, "passed", True, 40.0, {}]
        assert attempts["1758", "30268"] == ["graded", 0.75, True, "passed", True, 75.0, {"banked": True}]
        exam = conn.execute(
            "select due_at, weight from assessments where external_id = 'oulad:assessment:1757'"
        )
        assert exam.fetchall() == [(None, 100.0)]
        enrollments = conn.execute(
            "select u.external_id, r.code, e.status, e.outcome, e.enrolled_at, e.unregistered_at "
            "from enrollments e join users u using (user_id) join course_runs r using (course_run_id) "
            "where u.external_id in "
            "('oulad:student:30268', 'oulad:student:45462', 'oulad:student:60002') order by 1, 2"
        ).fetchall()
        assert enrollments == [
            ("oulad:student:30268", "2013J", "dropped", "withdrawn", datetime(2013, 7, 1, tzinfo=UTC),
             datetime(2013, 10, 13, tzinfo=UTC)),
            ("oulad:student:30268", "2014J", "completed", "distinction", datetime(2014, 9, 1, tzinfo=UTC),
             None),
            # No registration day: dated at the start of the run, and the event says so.
            ("oulad:student:45462", "2014J", "completed", "fail", datetime(2014, 10, 1, tzinfo=UTC), None),
            ("oulad:student:60002", "2014B", "dropped", "withdrawn", datetime(2013, 12, 23, tzinfo=UTC),
             datetime(2014, 1, 27, tzinfo=UTC)),
        ]  # fmt: skip
        flagged = conn.execute(
            "select count(*) from learner_events where verb = 'registered' and extensions = "
            "'{\"registration_day_unknown\": true}'"
        ).fetchone()
        assert flagged == (1,)
        # Every event's registration is an enrollment of its actor, and actors are users without email.
        orphans = conn.execute(
            "select count(*) from learner_events v "
            "left join enrollments e on e.enrollment_id = v.registration and e.user_id = v.actor_id "
            "left join users u on u.user_id = v.actor_id "
            "where e.enrollment_id is null or u.email is not null"
        ).fetchone()
        assert orphans == (0,)


def test_rerun_changes_nothing(fresh_database: str) -> None:
    first = run_import(fresh_database, SLICE)
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        before = snapshot(conn)
    second = run_import(fresh_database, SLICE)
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        after = snapshot(conn)
    assert after == before
    assert first["new_events"] == before["learner_events"][0] > 0
    assert second["new_events"] == 0
    assert {**second, "new_events": 0} == {**first, "new_events": 0}


def _write_filtered(source: Path, target: Path, keep: set[str]) -> None:
    """A copy of the slice holding only the presentations in ``keep`` (by code_presentation / assessment)."""
    target.mkdir()
    assessments = {
        r["id_assessment"] for r in _rows(source / "assessments.csv") if r["code_presentation"] in keep
    }
    for path in source.glob("*.csv"):
        rows = _rows(path)
        if path.name == "studentVle.csv":
            rows = [r for r in rows if r["code_presentation"] in keep and r["sum_click"]]
        elif "code_presentation" in rows[0]:
            rows = [r for r in rows if r["code_presentation"] in keep]
        else:
            rows = [r for r in rows if r["id_assessment"] in assessments]
        with (target / path.name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(rows)


def test_later_presentations_add_to_earlier_imports(fresh_database: str, tmp_path: Path) -> None:
    _write_filtered(SLICE, tmp_path / "2013", {"2013J"})
    early = run_import(fresh_database, tmp_path / "2013")
    assert (early["course_runs"], early["enrollments"]) == (1, 3)
    run_import(fresh_database, SLICE)
    run_import(fresh_database, tmp_path / "2013")  # an older folder again must not undo the newer one
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        assert stored_counts(conn) == expected_counts(SLICE)
        profile = conn.execute(
            "select attributes from learner_profiles join users using (user_id) "
            "where external_id = 'oulad:student:30268'"
        ).fetchone()
        lessons = conn.execute(
            "select l.external_id, l.position from lessons l join courses c using (course_id) "
            "where c.external_id = 'oulad:module:AAA' order by l.position"
        ).fetchall()
    assert profile is not None
    assert profile[0]["oulad_as_of"] == "2014-10-01" and profile[0]["imd_band"] == "20-30%"
    assert set(profile[0]["oulad_registrations"]) == {"AAA 2013J", "AAA 2014J"}
    # Sites keep the positions they got first; the later presentation's sites come after them.
    assert lessons == [
        ("oulad:site:546614", 1), ("oulad:site:546712", 2), ("oulad:site:546943", 3),
        ("oulad:site:547011", 4), ("oulad:site:547012", 5),
    ]  # fmt: skip


def test_files_not_in_the_oulad_format_are_refused(fresh_database: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in SLICE.glob("*.csv"):
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "vle.csv").unlink()
    with psycopg.connect(libpq_url(fresh_database)) as conn, pytest.raises(OuladFormatError, match="vle.csv"):
        import_oulad(conn, broken)
    (broken / "vle.csv").write_bytes((SLICE / "vle.csv").read_bytes().replace(b'"547012"', b'"5470x2"'))
    with (
        psycopg.connect(libpq_url(fresh_database)) as conn,
        pytest.raises(OuladFormatError, match=r"vle.csv line 6: id_site is '5470x2', expected an integer"),
    ):
        import_oulad(conn, broken)
    (broken / "vle.csv").write_bytes((SLICE / "vle.csv").read_bytes())
    (broken / "studentVle.csv").write_text("code_module,code_presentation,id_student,id_site,date\n")
    with (
        psycopg.connect(libpq_url(fresh_database)) as conn,
        pytest.raises(OuladFormatError, match="studentVle.csv is not an OULAD click file: .*sum_click"),
    ):
        import_oulad(conn, broken)


def test_cli_prints_one_json_line(fresh_database: str, tmp_path: Path) -> None:
    env = {**os.environ, "SKILLSTUDIO_DATABASE_URL": fresh_database, "SKILLSTUDIO_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "skillstudio.main.cli", "import", "oulad"]
    done = subprocess.run([*command, str(SLICE)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert {key: summary[key] for key in expected_counts(SLICE)} == expected_counts(SLICE)
    assert "not loaded:" in done.stderr and "id_site not in vle.csv" in done.stderr

    refused = subprocess.run([*command, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert "courses.csv is missing" in refused.stderr


def test_whole_subset_matches_the_csvs(oulad_2013: OuladImport) -> None:
    summary = json.loads(oulad_2013.summary.to_json())
    in_file: Counter[str] = Counter()
    expected = expected_counts(OULAD_2013, in_file)
    assert {key: summary[key] for key in expected} == expected
    assert summary["skipped"] == {}
    with psycopg.connect(libpq_url(oulad_2013.url)) as conn:
        assert stored_counts(conn) == expected
        # Clicks per presentation, straight from the CSV, against the events of each course run.
        per_run = dict(
            conn.execute(
                "select c.external_id || ' ' || r.code, sum((v.extensions->>'clicks')::bigint) "
                "from learner_events v join enrollments e on e.enrollment_id = v.registration "
                "join course_runs r using (course_run_id) join courses c on c.course_id = r.course_id "
                "where v.verb = 'experienced' group by 1"
            ).fetchall()
        )
    assert per_run == dict(in_file)


def test_an_erased_learner_is_not_imported_again(fresh_database: str, tmp_path: Path) -> None:
    run_import(fresh_database, SLICE)
    student = "28400"  # with a registration, an assessment score and clicks in the slice
    erased = erase_learner(libpq_url(fresh_database), LocalLakeStore(tmp_path), f"oulad:student:{student}")
    assert erased.outcome == "erased"
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        before = snapshot(conn)

    again = run_import(fresh_database, SLICE)

    with psycopg.connect(libpq_url(fresh_database)) as conn:
        assert snapshot(conn) == before
        assert conn.execute(
            "select count(*) from users where external_id = %s", (f"oulad:student:{student}",)
        ).fetchone() == (0,)
    registrations = {
        (row["code_module"], row["code_presentation"])
        for name in ("studentInfo.csv", "studentRegistration.csv")
        for row in _rows(SLICE / name)
        if row["id_student"] == student
    }
    skipped = again["skipped"]
    assert isinstance(skipped, dict)
    assert skipped["registrations: learner erased on request, not imported again"] == len(registrations) == 1
    assert skipped["attempts: learner erased on request"] == 1
    assert skipped["click events: learner erased on request"] > 0
    assert again["new_events"] == 0
