"""OULAD's catalogue side: modules -> courses, presentations -> course runs, VLE sites -> lessons,
assessments -> assessments.

OULAD's "module" is what SkillStudio calls a course (not a course module) and a "presentation" is one run
of it (a cohort). The data set names no module (they are anonymised as AAA...GGG), so courses get a
placeholder title and ``unspecified`` subject and level; a catalogue import with the external ids
``oulad:module:AAA``... can give them real ones, and re-running this import never overwrites them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import psycopg

from skillstudio.sources.common import stable_id, upsert
from skillstudio.sources.oulad.files import OuladFormatError, presentation_start

PROVIDER = "The Open University"
ASSESSMENT_TYPES = {"TMA": "tma", "CMA": "cma", "Exam": "exam"}
Run = tuple[str, str]  # (code_module, code_presentation)


def day_at(start: date, offset: int) -> datetime:
    """The instant of an OULAD day offset. The data set has days only: every timestamp is 00:00 UTC."""
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=offset)


@dataclass
class Catalogue:
    """Ids of what the catalogue import wrote, for the learner and click imports that follow."""

    course_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    run_ids: dict[Run, uuid.UUID] = field(default_factory=dict)
    run_starts: dict[Run, date] = field(default_factory=dict)
    run_lengths: dict[Run, int | None] = field(default_factory=dict)
    lesson_ids: dict[int, uuid.UUID] = field(default_factory=dict)
    # id_assessment -> (assessment id, its run)
    assessments: dict[int, tuple[uuid.UUID, Run]] = field(default_factory=dict)


def _runs(tables: dict[str, pd.DataFrame]) -> dict[Run, int | None]:
    """Every presentation any file mentions, with its length where courses.csv gives it.

    Presentations missing from courses.csv still get a run (its start follows from its code), so a
    partial courses.csv loses nothing.
    """
    lengths: dict[Run, int | None] = {}
    for name in ("assessments.csv", "vle.csv", "studentInfo.csv", "studentRegistration.csv"):
        frame = tables[name]
        for run in zip(frame["code_module"], frame["code_presentation"], strict=True):
            lengths.setdefault(run, None)
    courses = tables["courses.csv"]
    for module, presentation, length in zip(
        courses["code_module"],
        courses["code_presentation"],
        courses["module_presentation_length"],
        strict=True,
    ):
        lengths[(module, presentation)] = None if pd.isna(length) else int(length)
    return lengths


def import_catalogue(conn: psycopg.Connection, tables: dict[str, pd.DataFrame]) -> Catalogue:
    """Write courses, course runs, lessons and assessments; return their ids. Runs in the caller's
    transaction."""
    catalogue = Catalogue()
    catalogue.run_lengths = _runs(tables)
    for run in catalogue.run_lengths:
        catalogue.run_starts[run] = presentation_start(run[1])

    modules = sorted({module for module, _ in catalogue.run_lengths})
    external = {module: f"oulad:module:{module}" for module in modules}
    upsert(
        conn,
        "courses",
        ("course_id", "external_id", "title", "description", "subject", "level", "provider"),
        [
            (stable_id("course", external[module]), external[module], f"OU module {module}",
             f"Open University module {module}, as published (anonymised) in the OULAD data set.",
             "unspecified", "unspecified", PROVIDER)
            for module in modules
        ],
        key=("external_id",),
    )  # fmt: skip
    # Read back: a course created earlier under the same external id (a catalogue import) keeps its id.
    found = conn.execute(
        "select external_id, course_id from courses where external_id = any(%s)", (list(external.values()),)
    ).fetchall()
    by_external: dict[str, uuid.UUID] = dict(found)
    catalogue.course_ids = {module: by_external[external[module]] for module in modules}

    runs = sorted(catalogue.run_lengths, key=lambda run: (catalogue.run_starts[run], run))
    catalogue.run_ids = {run: stable_id("course_run", f"oulad:{run[0]}:{run[1]}") for run in runs}
    upsert(
        conn,
        "course_runs",
        ("course_run_id", "course_id", "code", "starts_on", "length_days"),
        [
            (catalogue.run_ids[run], catalogue.course_ids[run[0]], run[1], catalogue.run_starts[run],
             catalogue.run_lengths[run])
            for run in runs
        ],
        key=("course_run_id",),
        update=("starts_on", "length_days"),
    )  # fmt: skip
    _import_lessons(conn, tables["vle.csv"], catalogue)
    _import_assessments(conn, tables["assessments.csv"], catalogue)
    return catalogue


def _import_lessons(conn: psycopg.Connection, vle: pd.DataFrame, catalogue: Catalogue) -> None:
    """VLE sites become lessons, typed by ``activity_type``.

    Positions must be unique per course and stable across imports, so sites already stored keep theirs
    and new ones (a later presentation) are numbered after the course's last position, in order of
    presentation start and site id. OULAD has no durations: ``estimated_minutes`` is 0 (unknown).
    """
    rows = []
    for site in vle.itertuples(index=False):
        run = (site.code_module, site.code_presentation)
        planned = not (pd.isna(site.week_from) or pd.isna(site.week_to))
        weeks = f", weeks {site.week_from}-{site.week_to}" if planned else ""
        external_id = f"oulad:site:{site.id_site}"
        lesson_id = stable_id("lesson", external_id)
        catalogue.lesson_ids[int(site.id_site)] = lesson_id
        title = f"{site.activity_type or 'site'} {site.id_site} ({run[0]} {run[1]}{weeks})"
        rows.append(
            (lesson_id, catalogue.course_ids[run[0]], catalogue.run_starts[run], int(site.id_site), title,
             external_id, site.activity_type)
        )  # fmt: skip
    conn.execute(
        "create temp table if not exists incoming_oulad_sites (lesson_id uuid, course_id uuid, "
        "starts_on date, id_site bigint, title text, external_id text, activity_type text) on commit drop"
    )
    conn.execute("truncate incoming_oulad_sites")
    with conn.cursor().copy("copy incoming_oulad_sites from stdin") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(
        "update lessons set title = i.title, activity_type = i.activity_type, updated_at = now(), "
        "version = lessons.version + 1 from incoming_oulad_sites i "
        "where lessons.lesson_id = i.lesson_id "
        "and (lessons.title, lessons.activity_type) is distinct from (i.title, i.activity_type)"
    )
    conn.execute(
        "insert into lessons (lesson_id, course_id, position, title, estimated_minutes, external_id, "
        "activity_type) "
        "select i.lesson_id, i.course_id, "
        "coalesce((select max(position) from lessons l where l.course_id = i.course_id), 0) "
        "+ row_number() over (partition by i.course_id order by i.starts_on, i.id_site), "
        "i.title, 0, i.external_id, i.activity_type from incoming_oulad_sites i "
        "where not exists (select 1 from lessons l where l.lesson_id = i.lesson_id)"
    )


def _import_assessments(conn: psycopg.Connection, assessments: pd.DataFrame, catalogue: Catalogue) -> None:
    """Assessments with a due date (empty for some exams: ``due_at`` stays null) and weight.

    OULAD gives no titles; they are numbered per presentation and type in due order: ``AAA 2013J TMA 2``.
    """
    ordered = assessments.assign(line=assessments.index + 2).sort_values(
        ["code_module", "code_presentation", "assessment_type", "date", "id_assessment"], na_position="last"
    )
    ordinal = ordered.groupby(["code_module", "code_presentation", "assessment_type"]).cumcount() + 1
    rows = []
    for item, number in zip(ordered.itertuples(index=False), ordinal, strict=True):
        kind = ASSESSMENT_TYPES.get(item.assessment_type)
        if kind is None:
            raise OuladFormatError(
                f"assessments.csv line {item.line}: assessment_type {item.assessment_type!r} is not one of "
                f"{', '.join(ASSESSMENT_TYPES)}"
            )
        run = (item.code_module, item.code_presentation)
        external_id = f"oulad:assessment:{item.id_assessment}"
        assessment_id = stable_id("assessment", external_id)
        catalogue.assessments[int(item.id_assessment)] = (assessment_id, run)
        due_at = None if pd.isna(item.date) else day_at(catalogue.run_starts[run], int(item.date))
        rows.append(
            (assessment_id, catalogue.course_ids[run[0]], catalogue.run_ids[run], external_id,
             f"{run[0]} {run[1]} {item.assessment_type} {number}", kind, due_at,
             None if pd.isna(item.weight) else float(item.weight))
        )  # fmt: skip
    columns = ("course_id", "course_run_id", "external_id", "title", "assessment_type", "due_at", "weight")
    upsert(conn, "assessments", ("assessment_id", *columns), rows, key=("assessment_id",), update=columns)
