"""Import the Open University Learning Analytics Dataset (OULAD) into SkillStudio.

Kuzilek, Hlosta, Zdrahal, *Scientific Data* 4:170171 (2017), CC BY 4.0; the format is in ``OULAD.names``.

================================  =====================================================================
OULAD                             SkillStudio
================================  =====================================================================
module (``AAA``)                  course ``oulad:module:AAA``
presentation (``2013J``)          course run; starts 1 February (``B``) or 1 October (``J``) of the year
VLE site (``vle.csv``)            lesson ``oulad:site:<id>``, ``activity_type`` kept
student                           user ``oulad:student:<id>`` (no email) + learner profile demographics
registration                      enrollment (``final_result`` -> outcome) + registered/unregistered events
assessment                        assessment ``oulad:assessment:<id>`` (TMA/CMA/Exam, due date, weight)
student assessment                attempt (score / 100, ``is_banked``) + passed/failed/completed event
daily clicks (``studentVle.csv``) one ``experienced`` event per student × site × day, ``{"clicks": n}``
================================  =====================================================================

Day offsets count from the presentation's start and may be negative; OULAD has days only, so every
timestamp is 00:00 UTC of its day. Nothing is hard-wired to the presentations of a particular copy: a
presentation code the importer has not seen (``2014B``) is read from its code.

Every id is a uuid5 of the source key (:func:`skillstudio.sources.common.stable_id`), rows are upserted
and events are written idempotently, so re-running on the same files changes nothing. The summary reports
what the data set holds once loaded (rows and events the files map to, whichever run wrote them), not what
this run added; ``new_events`` is what this run added (0 on a re-run) and ``skipped`` counts source rows
that could not be loaded, by reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from skillstudio.events import ensure_month_partitions, write_events
from skillstudio.sources.common import NoProgress, Progress
from skillstudio.sources.oulad.catalogue import import_catalogue
from skillstudio.sources.oulad.clicks import load_click_events
from skillstudio.sources.oulad.files import CLICK_FILE, SCHEMAS, dedupe, normalise_imd_band, read_table
from skillstudio.sources.oulad.learners import import_learners

EVENT_CHUNK = 50_000


@dataclass
class OuladSummary:
    """What the imported OULAD files hold, as loaded; printed by the CLI as one JSON line."""

    courses: int = 0
    course_runs: int = 0
    learners: int = 0
    enrollments: int = 0
    assessments: int = 0
    attempts: int = 0
    click_events: int = 0
    clicks: int = 0
    new_events: int = 0
    click_file: bool = True
    skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def import_oulad(
    conn: psycopg.Connection, directory: Path, *, progress: Progress | None = None
) -> OuladSummary:
    """Load an OULAD folder (the public download or a subset) through ``conn``.

    Commits as it goes: the catalogue, learners and their events first, then the clicks page by page, so
    an interrupted import keeps what it wrote and re-running it completes the rest. ``studentVle.csv`` may
    be absent or partial; every other file must be there.
    """
    progress = progress or NoProgress()
    directory = Path(directory)
    received_at = datetime.now(UTC)
    summary = OuladSummary()
    progress.start("Reading the OULAD tables")
    tables = {name: read_table(directory, name) for name in SCHEMAS}
    for name, key in (
        ("courses.csv", ["code_module", "code_presentation"]),
        ("assessments.csv", ["id_assessment"]),
        ("vle.csv", ["id_site"]),
    ):
        tables[name] = dedupe(tables[name], key, name, summary.skipped)
    tables["studentInfo.csv"]["imd_band"] = tables["studentInfo.csv"]["imd_band"].map(
        lambda band: None if band is None or band != band else normalise_imd_band(band)
    )

    progress.start("Writing courses, runs, lessons and assessments")
    catalogue = import_catalogue(conn, tables)
    summary.courses = len(catalogue.course_ids)
    summary.course_runs = len(catalogue.run_ids)
    summary.assessments = len(catalogue.assessments)

    progress.start("Writing learners, enrollments and attempts")
    learners = import_learners(conn, tables, catalogue, received_at=received_at, skipped=summary.skipped)
    summary.learners = learners.learners
    summary.enrollments = len(learners.enrollments)
    summary.attempts = learners.attempts
    # Taken out of ``learners``, which lives on through the click import: memory goes back once written.
    events, learners.events = learners.events, []
    if events:
        ensure_month_partitions(
            conn, min(row[1] for row in events).date(), max(row[1] for row in events).date()
        )
    progress.start("Writing registration and assessment events", total=len(events))
    for low in range(0, len(events), EVENT_CHUNK):
        chunk = events[low : low + EVENT_CHUNK]
        summary.new_events += len(write_events(conn, chunk))
        progress.advance(len(chunk))
    conn.commit()
    del events

    clicks = directory / CLICK_FILE
    summary.click_file = clicks.is_file()
    if summary.click_file:
        counts = load_click_events(
            conn,
            clicks,
            catalogue,
            learners,
            received_at=received_at,
            progress=progress,
            skipped=summary.skipped,
        )
        summary.click_events = counts.click_events
        summary.clicks = counts.clicks
        summary.new_events += counts.new_events
    return summary
