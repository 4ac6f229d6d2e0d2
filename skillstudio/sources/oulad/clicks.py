"""Daily VLE clicks -> ``experienced`` events: one per student × site × day, carrying the click count.

The click file is the big one (10.6 M rows in the public data set), so it is streamed in blocks with
pyarrow's CSV reader and never held whole. OULAD repeats student × site × day rows, and not next to each
other (the 2013 subset has 130,000 such groups scattered through the file), so totals cannot be summed
block by block: each block is pre-summed and copied into a temporary table, PostgreSQL sums across
blocks (spilling to disk, so memory stays bounded), and the totals come back in pages that become events,
committed page by page. A partial file (some presentations only, or cut off mid-line) loads what it has;
rows that are cut short or lack a value are counted and reported, never guessed.
"""

from __future__ import annotations

import io
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from skillstudio.events import EventRow, ensure_month_partitions, event_row, write_events
from skillstudio.sources.common import Progress, stable_id
from skillstudio.sources.oulad.catalogue import Catalogue, day_at
from skillstudio.sources.oulad.files import CLICK_FILE, OuladFormatError
from skillstudio.sources.oulad.learners import Learners

CLICK_COLUMNS = {
    "code_module": pa.string(),
    "code_presentation": pa.string(),
    "id_student": pa.int64(),
    "id_site": pa.int64(),
    "date": pa.int32(),
    "sum_click": pa.int64(),
}
KEY = ["code_module", "code_presentation", "id_student", "id_site", "date"]
BLOCK_BYTES = 16 << 20
PAGE_ROWS = 50_000


@dataclass
class ClickCounts:
    click_events: int = 0
    clicks: int = 0
    new_events: int = 0


def _stage(conn: psycopg.Connection, path: Path, progress: Progress, skipped: dict[str, int]) -> None:
    """Stream the click file into ``oulad_click_rows``, each block pre-summed by student × site × day."""
    conn.execute(
        "create temp table if not exists oulad_click_rows (code_module text, code_presentation text, "
        "id_student bigint, id_site bigint, day integer, clicks bigint)"
    )
    conn.execute("truncate oulad_click_rows")
    cut_short = 0

    def skip_invalid(_row: object) -> str:
        nonlocal cut_short
        cut_short += 1
        return "skip"

    progress.start(f"Reading {path.name}", total=path.stat().st_size)
    incomplete = 0
    with path.open("rb") as handle:
        try:
            reader = pacsv.open_csv(
                handle,
                read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(invalid_row_handler=skip_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types=CLICK_COLUMNS, include_columns=list(CLICK_COLUMNS), strings_can_be_null=True
                ),
            )
            position = 0
            for batch in reader:
                table = pa.Table.from_batches([batch])
                complete = pc.is_valid(table["sum_click"])
                for column in KEY:
                    complete = pc.and_(complete, pc.is_valid(table[column]))
                kept = table.filter(complete)
                incomplete += table.num_rows - kept.num_rows
                summed = kept.group_by(KEY, use_threads=False).aggregate([("sum_click", "sum")])
                buffer = io.BytesIO()
                pacsv.write_csv(
                    summed.select([*KEY, "sum_click_sum"]), buffer, pacsv.WriteOptions(include_header=False)
                )
                with conn.cursor().copy("copy oulad_click_rows from stdin (format csv)") as copy:
                    copy.write(buffer.getbuffer())
                progress.advance(handle.tell() - position)
                position = handle.tell()
        except pa.ArrowException as error:
            raise OuladFormatError(f"{path} is not an OULAD click file: {error}") from error
    if cut_short:
        skipped[f"{CLICK_FILE}: rows with too few or too many fields"] = cut_short
    if incomplete:
        skipped[f"{CLICK_FILE}: rows with an empty value"] = incomplete


def _partitions(conn: psycopg.Connection, catalogue: Catalogue) -> None:
    """Create the months the clicks fall in, from each presentation's first and last click day."""
    spans = conn.execute(
        "select code_module, code_presentation, min(day), max(day) from oulad_click_days group by 1, 2"
    ).fetchall()
    days: list[date] = []
    for module, presentation, first, last in spans:
        start = catalogue.run_starts.get((module, presentation))
        if start is not None:
            days += [day_at(start, first).date(), day_at(start, last).date()]
    if days:
        ensure_month_partitions(conn, min(days), max(days))


def load_click_events(
    conn: psycopg.Connection,
    path: Path,
    catalogue: Catalogue,
    learners: Learners,
    *,
    received_at: datetime,
    progress: Progress,
    skipped: dict[str, int],
) -> ClickCounts:
    """Turn the click file into ``experienced`` events; commits page by page (see the module docstring).

    A row whose site is not in vle.csv, or whose student is not registered on the presentation, has
    no lesson or enrollment to point to: it is counted under ``skipped``, not loaded.
    """
    _stage(conn, path, progress, skipped)
    progress.start("Summing clicks per student, site and day")
    conn.execute("drop table if exists oulad_click_days")
    conn.execute(
        "create temp table oulad_click_days as select row_number() over () as page_row, code_module, "
        "code_presentation, id_student, id_site, day, sum(clicks)::bigint as clicks from oulad_click_rows "
        "group by code_module, code_presentation, id_student, id_site, day"
    )
    conn.execute("truncate oulad_click_rows")
    conn.execute("create index on oulad_click_days (page_row)")
    _partitions(conn, catalogue)
    conn.commit()

    total = conn.execute("select count(*) from oulad_click_days").fetchone()
    pages = int(total[0]) if total else 0
    progress.start("Writing click events", total=pages)
    builder = _ClickEvents(catalogue, learners, received_at)
    # Building a page's events (Python) and storing the previous page (PostgreSQL) overlap: a second
    # connection writes while this one reads the next page from its temporary table.
    with (
        psycopg.connect(conn.info.dsn, password=conn.info.password) as writer,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="oulad-clicks") as pool,
    ):
        pending: Future[int] | None = None
        for low in range(0, pages, PAGE_ROWS):
            rows = conn.execute(
                "select code_module, code_presentation, id_student, id_site, day, clicks "
                "from oulad_click_days where page_row > %s and page_row <= %s",
                (low, low + PAGE_ROWS),
            ).fetchall()
            events = builder.build(rows)
            if pending is not None:
                builder.counts.new_events += pending.result()
            pending = pool.submit(_write_page, writer, events)
            progress.advance(len(rows))
        if pending is not None:
            builder.counts.new_events += pending.result()
    reasons = builder.reasons
    counts = builder.counts
    skipped.update(reasons)
    conn.execute("drop table oulad_click_days")
    conn.commit()
    return counts


def _write_page(conn: psycopg.Connection, events: list[EventRow]) -> int:
    written = len(write_events(conn, events))
    conn.commit()
    return written


class _ClickEvents:
    """Turns pages of summed clicks into event rows, counting what it loads and what it cannot."""

    def __init__(self, catalogue: Catalogue, learners: Learners, received_at: datetime) -> None:
        self.catalogue = catalogue
        self.learners = learners
        self.received_at = received_at
        self.counts = ClickCounts()
        self.reasons: Counter[str] = Counter()
        self._lessons = {site: str(lesson_id) for site, lesson_id in catalogue.lesson_ids.items()}
        self._instants: dict[tuple[str, str, int], datetime] = {}

    def build(self, rows: list[tuple[str, str, int, int, int, int]]) -> list[EventRow]:
        events: list[EventRow] = []
        for module, presentation, student, site, day, clicks in rows:
            registration = self.learners.enrollments.get((module, presentation, student))
            lesson = self._lessons.get(site)
            if lesson is None:
                self.reasons["click events: id_site not in vle.csv"] += 1
                continue
            if registration is None:
                if student in self.learners.erased:
                    self.reasons["click events: learner erased on request"] += 1
                else:
                    self.reasons["click events: student not registered on that presentation"] += 1
                continue
            instant = self._instants.get((module, presentation, day))
            if instant is None:
                instant = day_at(self.catalogue.run_starts[(module, presentation)], day)
                self._instants[(module, presentation, day)] = instant
            enrollment_id, user_id = registration
            events.append(
                event_row(
                    event_id=stable_id("event", f"oulad:click:{student}:{site}:{day}"), occurred_at=instant,
                    received_at=self.received_at, actor_id=user_id, verb="experienced", object_type="lesson",
                    object_id=lesson, course_id=self.catalogue.course_ids[module], registration=enrollment_id,
                    extensions={"clicks": clicks},
                )
            )  # fmt: skip
            self.counts.clicks += clicks
        self.counts.click_events += len(events)
        return events
