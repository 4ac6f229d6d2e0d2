"""The lake: closed months of ``learner_events`` archived to Parquet, verified, and only then dropped.

For each closed month, in one database transaction that locks the month's partition against writers:

1. count and checksum the partition in PostgreSQL (:mod:`skillstudio.lake.format`);
2. export it to a local Parquet file (zstd), stage it in the lake and re-read the *staged* copy: its count
   and checksum must equal the partition's, else nothing changes;
3. move it into place, record it in ``learner_event_archive`` and detach and drop the partition;
4. commit. Until this commit the partition is untouched, so killing the process anywhere loses nothing;
   the next run finds the file already in place, re-verifies it against the partition and carries on.

A month that is already in the manifest is never written over: rows that reached it later (late events
land in the default partition, or in a partition someone re-created) are *merged* with the stored file,
skipping events the file already holds, and the merged file is verified as old checksum + new rows'
checksum. Replacing a file is two-phase (:mod:`skillstudio.lake.manifest`), so an interrupted
replacement is recognised on the next run. Archive and erasure take one advisory lock, so they never run
together.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from skillstudio.events.partitions import add_months, attached_months, months_in_default, partition_name
from skillstudio.lake.format import (
    EMPTY,
    Column,
    Digest,
    arrow_schema,
    batch_digest,
    copy_to_csv,
    csv_batches,
    event_columns,
    export_sql,
    open_writer,
    parquet_digest,
    pg_digest,
)
from skillstudio.lake.manifest import (
    LakeError,
    ManifestEntry,
    fetch_verified,
    lake_lock,
    manifest,
    manifest_entry,
    replace_file,
    stage_verified,
    work_dir,
)
from skillstudio.lake.store import LakeStore, month_key


class Progress:
    """What long lake work reports; the CLI and Dagster subclass it, the default is silent."""

    def month_started(self, month: date, rows: int) -> None: ...

    def rows_written(self, rows: int) -> None: ...

    def month_finished(self, result: MonthResult) -> None: ...


@dataclass(frozen=True)
class MonthResult:
    """What happened to one month: archived, merged, reverified, empty (left alone) or busy (retry)."""

    month: date
    action: str
    rows: int
    uri: str | None = None
    checksum: str | None = None


def archive_closed_months(
    url: str, store: LakeStore, *, before: date, progress: Progress | None = None
) -> list[MonthResult]:
    """Archive every month that starts before ``before`` (the first month still kept live).

    ``url`` is a libpq URL. Rows of those months still in the default partition first get their month's
    partition, so that they are archived (or merged) like any other.
    """
    progress = progress or Progress()
    results = []
    with (
        psycopg.connect(url, autocommit=True) as conn,
        psycopg.connect(url, autocommit=True) as side,
        lake_lock(conn),
    ):
        store.clear_staging()
        for month, _rows in months_in_default(conn, before):
            with conn.transaction():
                conn.execute("select ensure_learner_event_partition(%s)", (month,))
        columns = event_columns(conn)
        for month in [month for month in attached_months(conn) if month < before]:
            with work_dir() as work:
                result = _archive_one(conn, side, store, columns, month, work, progress)
            progress.month_finished(result)
            results.append(result)
    return results


class _Busy(Exception):
    """learner_events stayed locked by others; the month is retried on the next run."""


def _archive_one(
    conn: psycopg.Connection,
    side: psycopg.Connection,
    store: LakeStore,
    columns: list[Column],
    month: date,
    work: Path,
    progress: Progress,
) -> MonthResult:
    try:
        return _archive_month(conn, side, store, columns, month, work, progress)
    except _Busy:
        return MonthResult(month, "busy", 0)


def _archive_month(
    conn: psycopg.Connection,
    side: psycopg.Connection,
    store: LakeStore,
    columns: list[Column],
    month: date,
    work: Path,
    progress: Progress,
) -> MonthResult:
    partition = f'"{partition_name(month)}"'
    key = month_key(month)
    with conn.transaction():
        # Late events for this month wait (they are not refused) until the month is settled.
        conn.execute(f"lock table {partition} in share mode")
        live = pg_digest(conn, columns, partition)
        entry = manifest_entry(conn, month)
        progress.month_started(month, live.row_count)
        if entry is None and live.row_count == 0:
            return MonthResult(month, "empty", 0)
        if entry is None:
            action, digest = _first_archive(conn, store, columns, month, partition, live, work, progress)
            conn.execute(
                "insert into learner_event_archive (month, uri, row_count, checksum, file_bytes) "
                "values (%s, %s, %s, %s, %s)",
                (month, store.uri(key), digest.row_count, digest.checksum, store.size(key)),
            )
        else:
            action, digest = _merge(conn, side, store, columns, entry, partition, work, progress)
        if not _detach_and_drop(conn, partition):
            # Leaving the transaction by an exception rolls the month back whole; it stays live.
            raise _Busy
    return MonthResult(month, action, digest.row_count, store.uri(key), digest.checksum)


def _first_archive(
    conn: psycopg.Connection,
    store: LakeStore,
    columns: list[Column],
    month: date,
    partition: str,
    live: Digest,
    work: Path,
    progress: Progress,
) -> tuple[str, Digest]:
    key = month_key(month)
    # A file in place without a manifest row is left by a run killed before its commit: keep it if it
    # holds exactly the partition, rewrite it otherwise (the partition is the whole truth here).
    existing = work / "existing.parquet"
    if store.fetch(key, existing):
        if parquet_digest(existing) == live:
            return "reverified", live
        _refuse_unknown_events(conn, existing, partition, store.uri(key))
    local = work / "month.parquet"
    with open_writer(local, arrow_schema(columns)) as writer:
        _export_into(writer, conn, columns, partition, "", work, progress)
    store.promote(stage_verified(store, local, key, live, work), key)
    return "archived", live


def _refuse_unknown_events(conn: psycopg.Connection, existing: Path, partition: str, uri: str) -> None:
    """Stop before overwriting an unrecorded file that holds events the partition does not have.

    Such a file was not left by an interrupted archive (whose rows are all still in the partition): the
    manifest row may have been lost. Overwriting it with the partition would lose those events.
    """
    _load_keys(conn, existing)
    row = conn.execute(
        f"select count(*) from lake_keys where not exists (select 1 from {partition} as live "
        "where live.event_id = lake_keys.event_id "
        "and (extract(epoch from live.occurred_at) * 1000000)::bigint = lake_keys.occurred_us)"
    ).fetchone()
    if row and row[0]:
        raise LakeError(
            f"{uri} is not in the archive manifest but holds {row[0]} events that the database does not "
            "have; move the file aside (or restore the manifest row) and run again. Nothing was changed."
        )


def _merge(
    conn: psycopg.Connection,
    side: psycopg.Connection,
    store: LakeStore,
    columns: list[Column],
    entry: ManifestEntry,
    partition: str,
    work: Path,
    progress: Progress,
) -> tuple[str, Digest]:
    stored, held = fetch_verified(conn, store, entry, work)
    _load_keys(conn, stored)
    source = f"{partition} as live"
    fresh = (
        "where not exists (select 1 from lake_keys where lake_keys.event_id = live.event_id "
        "and lake_keys.occurred_us = (extract(epoch from live.occurred_at) * 1000000)::bigint)"
    )
    new_rows = pg_digest(conn, columns, source, fresh)
    if new_rows.row_count == 0:
        return "reverified", held
    merged = work / "merged.parquet"
    with open_writer(merged, arrow_schema(columns)) as writer:
        kept = EMPTY
        for batch in aligned_batches(stored, columns):
            writer.write_batch(batch)
            kept = kept + batch_digest(batch)
        _export_into(writer, conn, columns, source, fresh, work, progress)
    expected = kept + new_rows
    replace_file(conn, side, store, entry.month, merged, expected, work)
    return "merged", expected


def _export_into(
    writer: pq.ParquetWriter,
    conn: psycopg.Connection,
    columns: list[Column],
    source: str,
    where: str,
    work: Path,
    progress: Progress,
) -> None:
    csv_path = work / "export.csv"
    copy_to_csv(conn, export_sql(columns, source, where), csv_path)
    for batch in csv_batches(csv_path, columns):
        writer.write_batch(batch)
        progress.rows_written(batch.num_rows)
    csv_path.unlink()


def aligned_batches(path: Path, columns: list[Column]) -> Iterable[pa.RecordBatch]:
    """A stored file's rows in today's column layout (columns added since then are null)."""
    schema = arrow_schema(columns)
    parquet = pq.ParquetFile(path)
    gone = set(parquet.schema_arrow.names) - set(schema.names)
    if gone:
        raise LakeError(
            f"{path.name} has columns that learner_events no longer has ({', '.join(sorted(gone))}); "
            "restore them or rewrite the lake file by hand before merging"
        )
    for batch in parquet.iter_batches(batch_size=65_536):
        arrays = [
            batch.column(field.name).cast(field.type)
            if field.name in batch.schema.names
            else pa.nulls(batch.num_rows, field.type)
            for field in schema
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _load_keys(conn: psycopg.Connection, stored: Path) -> None:
    """Copy the stored file's event keys into a temporary table, to skip events it already holds."""
    conn.execute(
        "create temp table if not exists lake_keys (event_id uuid, occurred_us bigint) on commit drop"
    )
    conn.execute("truncate lake_keys")
    options = pa_csv.WriteOptions(include_header=False)
    with conn.cursor().copy("copy lake_keys from stdin (format csv)") as copy:
        for batch in pq.ParquetFile(stored).iter_batches(columns=["event_id", "occurred_at"]):
            keys = pa.table({"event_id": batch.column(0), "occurred_us": batch.column(1).cast(pa.int64())})
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(keys, sink, write_options=options)
            copy.write(sink.getvalue().to_pybytes())
    conn.execute("analyze lake_keys")


def _detach_and_drop(conn: psycopg.Connection, partition: str, attempts: int = 3) -> bool:
    """Detach and drop a partition inside the caller's transaction; False if the table stayed busy.

    Detaching needs an exclusive lock on ``learner_events``; waiting long for it would stall every event
    writer queued behind us, so each try waits briefly and the month is retried on the next run.
    """
    for attempt in range(attempts):
        try:
            with conn.transaction():
                conn.execute("set local lock_timeout = '2s'")
                conn.execute(f"alter table learner_events detach partition {partition}")
                conn.execute(f"drop table {partition}")
            return True
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            time.sleep(1 + attempt)
    return False


def export_month(url: str, store: LakeStore, month: date) -> MonthResult:
    """Write one month to a lake, verified, without changing the database (copies, notebooks, tests).

    Reads the month wherever its rows are (its partition or the default one) in one snapshot. No manifest
    row is written and nothing is dropped: this is a copy, not an archive.
    """
    start, end = (
        f"'{day.isoformat()}'::timestamp at time zone 'UTC'" for day in (month, add_months(month, 1))
    )
    where = f"where occurred_at >= {start} and occurred_at < {end}"
    key = month_key(month)
    with (
        psycopg.connect(url, autocommit=True) as conn,
        work_dir() as work,
    ):
        columns = event_columns(conn)
        local = work / "month.parquet"
        with conn.transaction():
            conn.execute("set transaction isolation level repeatable read")
            live = pg_digest(conn, columns, "learner_events", where)
            with open_writer(local, arrow_schema(columns)) as writer:
                _export_into(writer, conn, columns, "learner_events", where, work, Progress())
        staged = stage_verified(store, local, key, live, work)
        store.promote(staged, key)
    return MonthResult(month, "exported", live.row_count, store.uri(key), live.checksum)


__all__ = [
    "LakeError",
    "ManifestEntry",
    "MonthResult",
    "Progress",
    "archive_closed_months",
    "export_month",
    "fetch_verified",
    "lake_lock",
    "manifest",
    "replace_file",
]
