"""Right to erasure: one learner pseudonymised in the database and the lake, analytics unchanged."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import psycopg
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from psycopg.types.json import Jsonb
from typer.testing import CliRunner

import skillstudio.privacy.erasure as erasure
from skillstudio.db import libpq_url
from skillstudio.events.contract import EventRow, derive_event_id, event_row
from skillstudio.lake.archive import archive_closed_months
from skillstudio.lake.store import LocalLakeStore
from skillstudio.main.cli import app
from skillstudio.privacy.erasure import erase_learner
from skillstudio.settings import get_settings
from tests.skillstudio.event_factory import write

MODELS = Path(__file__).parents[3] / "dbt" / "models"
COURSES = [uuid.UUID(int=course) for course in (101, 102, 103)]
MARCH = date(2024, 3, 1)


def dbt_model(path: str, refs: dict[str, str]) -> str:
    """A dbt model's SQL as a full build renders it, with refs inlined and the learner_events source read
    from ``all_events``."""
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string((MODELS / path).read_text())
    return template.render(
        config=lambda **_: "",
        is_incremental=lambda: False,
        var=lambda _name, default=None: default,
        declare_archive_dependency=lambda: "",
        in_refresh_window=lambda *_, **__: "true",
        in_refresh_window_utc=lambda *_, **__: "true",
        source=lambda _source, table: {"learner_events": "all_events"}[table],
        ref=lambda name: f"({refs[name]}) as {name}",
    )


STAGING = dbt_model("staging/skillstudio/stg_skillstudio__learner_events.sql", {})
COURSE_DAYS = dbt_model(
    "intermediate/learning/int_learner_course_days_aggregated.sql",
    {"stg_skillstudio__learner_events": STAGING},
)
FIRST_ACTIVE_DAYS = dbt_model(
    "intermediate/platform/int_learner_first_active_days.sql",
    {"int_learner_course_days_aggregated": COURSE_DAYS},
)
PLATFORM_DAILY = dbt_model(
    "marts/platform/fct_platform_daily.sql",
    {"int_learner_course_days_aggregated": COURSE_DAYS, "int_learner_first_active_days": FIRST_ACTIVE_DAYS},
)
INTERACTIONS = dbt_model(
    "marts/learning/fct_learner_course_interactions.sql", {"int_learner_course_days_aggregated": COURSE_DAYS}
)


def analytics(conn: psycopg.Connection, lake: Path) -> dict[str, Any]:
    """The marts' figures over every event, live and archived (what a full-history dbt run would see)."""
    conn.execute("drop table if exists all_events")
    conn.execute("create temp table all_events as select * from learner_events")
    for path in sorted(lake.rglob("*.parquet")):
        sink = path.with_suffix(".csv")
        pa_csv.write_csv(pq.read_table(path), sink, write_options=pa_csv.WriteOptions(include_header=False))
        with conn.cursor().copy("copy all_events from stdin (format csv)") as copy:
            copy.write(sink.read_bytes())
        sink.unlink()
    return {
        "events": conn.execute("select count(*) from all_events").fetchone(),
        "platform_daily": conn.execute(f"select * from ({PLATFORM_DAILY}) as daily order by 1").fetchall(),
        "per_course": conn.execute(
            "select course_id, count(*), sum(event_count), count(*) filter (where is_enrolled) "
            f"from ({INTERACTIONS}) as interactions group by 1 order by 1"
        ).fetchall(),
        "enrollments": conn.execute(
            "select course_id, count(*), count(distinct user_id) from enrollments group by 1 order by 1"
        ).fetchall(),
    }


def seed_platform(conn: psycopg.Connection) -> list[uuid.UUID]:
    """30 learners over January-March 2024: accounts, profiles, enrollments and their events."""
    rng = random.Random(5)
    learners = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(30)]
    rows: list[EventRow] = []
    with conn.transaction():
        conn.execute(
            "insert into courses (course_id, title, subject, level) select unnest(%s::uuid[]), 'c', 's', 'l'",
            (COURSES,),
        )
        for number, learner in enumerate(learners):
            conn.execute(
                "insert into users (user_id, email, display_name, external_id) values (%s, %s, %s, %s)",
                (learner, f"person{number}@example.org", f"Person {number}", f"sso|{number}"),
            )
            conn.execute(
                "insert into learner_profiles (user_id, attributes, preferences) values (%s, %s, %s)",
                (learner, Jsonb({"gender": "F", "region": "Wales"}), Jsonb({"language": "cy"})),
            )
            for course in rng.sample(COURSES, 2):
                enrollment = uuid.UUID(int=rng.getrandbits(128), version=4)
                start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(80 * 24))
                conn.execute(
                    "insert into enrollments (enrollment_id, user_id, course_id, enrolled_at) "
                    "values (%s, %s, %s, %s)",
                    (enrollment, learner, course, start),
                )
                common = {"actor_id": learner, "course_id": course, "registration": enrollment}
                rows.append(event_row(occurred_at=start, verb="registered", object_type="course",
                                      object_id=str(course), **common))  # fmt: skip
                for step in range(rng.randrange(3, 12)):
                    at = start + timedelta(hours=rng.randrange(1, 40 * 24))
                    lesson = f"{course}-{step}"
                    rows.append(event_row(occurred_at=at, verb="experienced", object_type="lesson",
                                          object_id=lesson, duration_s=60.0, **common))  # fmt: skip
    # One statement that came with the client's own id: it says nothing about the learner and is kept.
    posted = datetime(2024, 1, 15, tzinfo=UTC)
    rows.append(
        event_row(event_id=uuid.UUID(int=7), occurred_at=posted, actor_id=learners[0], verb="posted",
                  object_type="discussion", object_id="d-1")
    )  # fmt: skip
    write(conn, rows)
    return learners


@pytest.fixture
def platform(
    fresh_database: str, tmp_path: Path
) -> Iterator[tuple[str, psycopg.Connection, list[uuid.UUID]]]:
    """A database whose January and February 2024 are in the lake at ``tmp_path`` and March is live."""
    url = libpq_url(fresh_database)
    with psycopg.connect(url, autocommit=True) as conn:
        learners = seed_platform(conn)
        results = archive_closed_months(url, LocalLakeStore(tmp_path), before=MARCH)
        assert [result.action for result in results] == ["archived", "archived"]
        yield url, conn, learners


def lake_events(lake: Path, where: str, columns: str = "*") -> list[tuple[Any, ...]]:
    return (
        duckdb.connect()
        .execute(f"select {columns} from read_parquet('{lake}/learner_events/*/*/*.parquet') where {where}")
        .fetchall()
    )


def test_erasure_pseudonymises_everywhere_and_keeps_the_analytics(
    platform: tuple[str, psycopg.Connection, list[uuid.UUID]],
    tmp_path: Path,
    fresh_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, conn, learners = platform
    learner = learners[0]
    # A mart built by dbt before the erasure holds the id too (no foreign key: found by its name).
    conn.execute("create schema analytics")
    conn.execute("create table analytics.fct_learner_stats as select user_id as learner_id from users")
    # The learner can log in: a password, a live refresh token, login attempts (one only by email).
    conn.execute("update users set password_hash = 'argon2id$x' where user_id = %s", (learner,))
    conn.execute(
        "insert into refresh_tokens (refresh_token_id, user_id, family_id, token_hash, issued_at, "
        "expires_at) values (gen_random_uuid(), %s, gen_random_uuid(), 'h', now(), now() + interval '1 day')",
        (learner,),
    )
    conn.execute(
        "insert into login_attempts (attempted_at, email, user_id, client_ip, succeeded) values "
        "(now(), 'person0@example.org', %s, '10.0.0.1', true), "
        "(now(), 'person0@example.org', null, '10.0.0.1', false), "
        "(now(), 'person1@example.org', null, '10.0.0.2', false)",
        (learner,),
    )
    # A malformed statement of theirs sits in quarantine, next to someone else's.
    conn.execute(
        "insert into event_quarantine (received_at, batch_index, payload, reasons) values "
        "(now(), 0, %s, '[]'), (now(), 1, %s, '[]')",
        (Jsonb({"actor": {"id": str(learner).upper()}, "verb": "?"}), Jsonb({"actor": {"id": "someone"}})),
    )
    # Their certificate (its PDF drawn with their name) and a leaderboard cache row show the name; so does
    # a classmate's certificate, which must stay as it is.
    objects = tmp_path / "objects"
    certificates = {}
    for person in (learner, learners[1]):
        enrollment, course = conn.execute(
            "select enrollment_id, course_id from enrollments where user_id = %s limit 1", (person,)
        ).fetchone()
        certificate = uuid.uuid4()
        certificates[person] = certificate
        conn.execute(
            "insert into certificates (certificate_id, enrollment_id, user_id, course_id, verification_code, "
            "learner_name, course_title, issued_at, pdf_key, rendered_at) select %s, %s, %s, %s, %s, "
            "display_name, 'c', now(), %s, now() from users where user_id = %s",
            (certificate, enrollment, person, course, certificate.hex[:12],
             f"certificates/{certificate}.pdf", person),
        )  # fmt: skip
        (objects / "certificates").mkdir(parents=True, exist_ok=True)
        (objects / f"certificates/{certificate}.pdf").write_bytes(b"%PDF Person")
    conn.execute(
        "insert into leaderboard_entries (period, scope, course_id, rank, learner_id, display_name, xp, "
        "reached_at, refreshed_at) values ('all_time', 'global', %s, 1, %s, 'Person 0', 60, now(), now())",
        (uuid.UUID(int=0), learner),
    )
    before = analytics(conn, tmp_path)
    live_before = conn.execute(
        "select count(*) from learner_events where actor_id = %s", (learner,)
    ).fetchone()
    lake_before = len(lake_events(tmp_path, f"actor_id = '{learner}'"))
    assert live_before and live_before[0] > 0 and lake_before > 0
    derived = {
        derive_event_id(actor_id=learner, verb=verb, object_type=kind, object_id=object_id, occurred_at=at)
        for verb, kind, object_id, at in conn.execute(
            "select verb, object_type, object_id, occurred_at from all_events where actor_id = %s", (learner,)
        ).fetchall()
    }
    enrollments = conn.execute(
        "select enrollment_id from enrollments where user_id = %s", (learner,)
    ).fetchall()

    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", fresh_database)
    monkeypatch.setenv("SKILLSTUDIO_LAKE_PATH", str(tmp_path))
    monkeypatch.setenv("SKILLSTUDIO_OBJECT_STORAGE_PATH", str(objects))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["learners", "erase", str(learner), "--yes"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "outcome": "erased", "live_events": live_before[0], "lake_events": lake_before, "lake_files": 2,
        "linked_rows": 2 + 1 + 1 + 2, "profile_fields": 3, "quarantined_statements": 1,
    }  # fmt: skip

    # Analytics: every mart figure is exactly what it was.
    assert analytics(conn, tmp_path) == before

    # The old id is nowhere, nor any event id that could be recomputed from it.
    old = str(learner)
    assert conn.execute("select count(*) from users where user_id = %s", (learner,)).fetchone() == (0,)
    assert conn.execute("select count(*) from enrollments where user_id = %s", (learner,)).fetchone() == (0,)
    assert conn.execute(
        "select count(*) from analytics.fct_learner_stats where learner_id = %s", (learner,)
    ).fetchone() == (0,)
    assert conn.execute("select count(*) from all_events where actor_id = %s", (learner,)).fetchone() == (0,)
    assert lake_events(tmp_path, f"actor_id = '{old}'") == []
    all_ids = {row[0] for row in conn.execute("select event_id from all_events").fetchall()}
    assert not derived & all_ids and uuid.UUID(int=7) in all_ids
    assert old not in json.dumps(conn.execute("select row_to_json(e) from learner_erasures e").fetchall())

    # The learner lives on as one pseudonym, the same in the database and the lake, without personal data.
    (pseudonym, email, name, external_id), *others = conn.execute(
        "select user_id, email, display_name, external_id from users where display_name = 'Erased learner'"
    ).fetchall()
    assert not others and (email, name, external_id) == (None, "Erased learner", None)
    assert conn.execute("select password_hash from users where user_id = %s", (pseudonym,)).fetchone() == (
        None,
    )
    assert conn.execute("select count(*) from refresh_tokens").fetchone() == (0,)
    assert conn.execute("select email from login_attempts").fetchall() == [("person1@example.org",)]
    assert conn.execute("select payload from event_quarantine").fetchall() == [
        ({"actor": {"id": "someone"}},)
    ]
    assert conn.execute(
        "select count(*) from analytics.fct_learner_stats where learner_id = %s", (pseudonym,)
    ).fetchone() == (1,)
    assert conn.execute(
        "select attributes, preferences from learner_profiles where user_id = %s", (pseudonym,)
    ).fetchone() == ({}, {})
    # The name's copies are replaced and the PDF drawn with it deleted (it is drawn again when asked for).
    assert conn.execute(
        "select learner_name, pdf_key from certificates where user_id = %s", (pseudonym,)
    ).fetchall() == [("Erased learner", None)]
    assert not (objects / f"certificates/{certificates[learner]}.pdf").exists()
    assert conn.execute(
        "select learner_name, pdf_key is not null from certificates where user_id = %s", (learners[1],)
    ).fetchall() == [("Person 1", True)]
    assert (objects / f"certificates/{certificates[learners[1]]}.pdf").exists()
    assert conn.execute("select learner_id, display_name from leaderboard_entries").fetchall() == [
        (pseudonym, "Erased learner")
    ]
    registrations = ", ".join(f"'{enrollment}'" for (enrollment,) in enrollments)
    actors = {row[0] for row in lake_events(tmp_path, f"registration in ({registrations})", "actor_id")}
    assert actors == {str(pseudonym)}
    assert conn.execute(
        f"select distinct actor_id from learner_events where registration in ({registrations})"
    ).fetchall() in ([(pseudonym,)], [])
    log = conn.execute("select status, pending_pseudonym, reference from learner_erasures").fetchall()
    assert log == [("complete", None, hashlib.sha256(f"skillstudio-erasure:v1:{old}".encode()).hexdigest())]
    assert str(pseudonym) not in json.dumps(
        conn.execute("select row_to_json(e) from learner_erasures e").fetchall()
    )


def test_erasing_again_or_an_unknown_learner_says_so(
    platform: tuple[str, psycopg.Connection, list[uuid.UUID]], tmp_path: Path
) -> None:
    url, conn, learners = platform
    store = LocalLakeStore(tmp_path)
    assert erase_learner(url, store, "sso|3").outcome == "erased"  # by external id
    again = erase_learner(url, store, str(learners[3]))
    assert again.outcome == "already_erased" and "already erased" in again.message
    assert erase_learner(url, store, "sso|3").outcome == "already_erased"
    stranger = erase_learner(url, store, str(uuid.uuid4()))
    assert stranger.outcome == "unknown" and "nothing was erased" in stranger.message
    assert conn.execute("select count(*) from learner_erasures").fetchone() == (1,)


def test_an_actor_without_an_account_is_erased_from_events(
    platform: tuple[str, psycopg.Connection, list[uuid.UUID]], tmp_path: Path
) -> None:
    url, conn, _ = platform
    visitor = uuid.uuid4()
    write(conn, [event_row(occurred_at=datetime(2024, 3, 2, tzinfo=UTC), actor_id=visitor, verb="experienced",
                           object_type="lesson", object_id="open-lesson")])  # fmt: skip
    report = erase_learner(url, LocalLakeStore(tmp_path), str(visitor))
    assert (report.outcome, report.live_events, report.lake_events) == ("erased", 1, 0)
    assert conn.execute("select count(*) from learner_events where actor_id = %s", (visitor,)).fetchone() == (
        0,
    )


def test_an_interrupted_erasure_resumes_with_the_same_pseudonym(
    platform: tuple[str, psycopg.Connection, list[uuid.UUID]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, conn, learners = platform
    learner, store = learners[1], LocalLakeStore(tmp_path)
    before = analytics(conn, tmp_path)
    real_rewrite, calls = erasure.rewrite_actor, []

    def rewrite_then_die(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stopped after the first lake file
        return real_rewrite(*args, **kwargs)

    monkeypatch.setattr(erasure, "rewrite_actor", rewrite_then_die)
    with pytest.raises(KeyboardInterrupt):
        erase_learner(url, store, str(learner))
    monkeypatch.setattr(erasure, "rewrite_actor", real_rewrite)
    ((status, pseudonym),) = conn.execute("select status, pending_pseudonym from learner_erasures").fetchall()
    assert status == "lake_pending" and pseudonym is not None
    assert lake_events(tmp_path, f"actor_id = '{learner}'")  # February still holds the old id

    report = erase_learner(url, store, str(learner))
    assert report.outcome == "resumed"
    assert lake_events(tmp_path, f"actor_id = '{learner}'") == []
    assert analytics(conn, tmp_path) == before  # one pseudonym across both files and the database
    assert conn.execute("select status, pending_pseudonym from learner_erasures").fetchall() == [
        ("complete", None)
    ]
