"""The archive manifest (``learner_event_archive``) and the safe ways to change a month's lake file.

The manifest is the truth about the lake: which months are archived, where, and what each file must hold
(row count and data checksum, :mod:`skillstudio.lake.format`). A file is only ever believed after it has
been re-read and matched against the manifest, and only ever replaced in two phases: the replacement is
staged and verified, its digest is recorded as *pending* (committed at once), it is moved into place, and
then the manifest row is updated in the caller's transaction. Whichever digest the file in place matches,
current or pending, says which of the two it is, so a process killed at any step leaves a state the next
run recognises and finishes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

from skillstudio.lake.format import Digest, parquet_digest
from skillstudio.lake.store import LakeStore, month_key

# pg_advisory_lock key shared by archive and erasure ("lake" in ASCII).
LAKE_LOCK = 0x6C616B65
WORK_PREFIX = "skillstudio-lake-"


class LakeError(RuntimeError):
    """The lake and the database disagree, or the lake is busy; the message says what to do."""


@dataclass(frozen=True)
class ManifestEntry:
    """One row of ``learner_event_archive``."""

    month: date
    uri: str
    row_count: int
    checksum: str
    pending_row_count: int | None
    pending_checksum: str | None

    @property
    def digest(self) -> Digest:
        return Digest.of(self.row_count, self.checksum)

    @property
    def pending_digest(self) -> Digest | None:
        if self.pending_row_count is None or self.pending_checksum is None:
            return None
        return Digest.of(self.pending_row_count, self.pending_checksum)


def manifest(conn: psycopg.Connection) -> dict[date, ManifestEntry]:
    rows = conn.execute(
        "select month, uri, row_count, checksum, pending_row_count, pending_checksum "
        "from learner_event_archive order by month"
    ).fetchall()
    return {row[0]: ManifestEntry(*row) for row in rows}


@contextmanager
def lake_lock(conn: psycopg.Connection) -> Iterator[None]:
    """Hold the lake for this session (archive and erasure exclude each other)."""
    row = conn.execute("select pg_try_advisory_lock(%s)", (LAKE_LOCK,)).fetchone()
    if not row or not row[0]:
        raise LakeError(
            "another archive or erasure is working on the lake; run this again once it has finished"
        )
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (LAKE_LOCK,))


def manifest_entry(conn: psycopg.Connection, month: date) -> ManifestEntry | None:
    row = conn.execute(
        "select month, uri, row_count, checksum, pending_row_count, pending_checksum "
        "from learner_event_archive where month = %s",
        (month,),
    ).fetchone()
    return ManifestEntry(*row) if row else None


def fetch_stored(store: LakeStore, entry: ManifestEntry, work: Path) -> Path:
    """Download a month's file as it is (see :func:`verify_stored` before believing it)."""
    local = work / "stored.parquet"
    if not store.fetch(month_key(entry.month), local):
        raise LakeError(
            f"{entry.uri} is in the archive manifest but missing from the lake; restore it (from a backup or "
            f"bucket versioning) and run again. Nothing of {entry.month:%Y-%m} was changed."
        )
    return local


def verify_stored(conn: psycopg.Connection, store: LakeStore, entry: ManifestEntry, local: Path) -> Digest:
    """Prove a downloaded file is what the manifest says, finishing a swap that was left pending."""
    held = parquet_digest(local)
    if held == entry.pending_digest:
        # The previous run put its replacement in place and was stopped before recording it.
        _record(conn, store, entry.month, held)
    elif held != entry.digest:
        raise LakeError(
            f"{entry.uri} holds {held.row_count} rows with checksum {held.checksum}, but the manifest says "
            f"{entry.row_count} rows with checksum {entry.checksum}; restore the file before changing "
            f"{entry.month:%Y-%m} again. Nothing was changed."
        )
    return held


def fetch_verified(
    conn: psycopg.Connection, store: LakeStore, entry: ManifestEntry, work: Path
) -> tuple[Path, Digest]:
    """Download a month's file and prove it is what the manifest says."""
    local = fetch_stored(store, entry, work)
    return local, verify_stored(conn, store, entry, local)


def replace_file(
    conn: psycopg.Connection,
    side: psycopg.Connection,
    store: LakeStore,
    month: date,
    local: Path,
    expected: Digest,
    work: Path,
) -> None:
    """Put a verified replacement for a month's file in place and record it (two-phase, see module)."""
    key = month_key(month)
    staged = stage_verified(store, local, key, expected, work)
    # Committed at once (other connection): if we die after the swap, the next run recognises the file.
    side.execute(
        "update learner_event_archive set pending_row_count = %s, pending_checksum = %s where month = %s",
        (expected.row_count, expected.checksum, month),
    )
    store.promote(staged, key)
    _record(conn, store, month, expected)


def _record(conn: psycopg.Connection, store: LakeStore, month: date, digest: Digest) -> None:
    conn.execute(
        "update learner_event_archive set row_count = %s, checksum = %s, file_bytes = %s, "
        "rewritten_at = now(), pending_row_count = null, pending_checksum = null where month = %s",
        (digest.row_count, digest.checksum, store.size(month_key(month)), month),
    )


def stage_verified(store: LakeStore, local: Path, key: str, expected: Digest, work: Path) -> str:
    """Stage a file next to its key, then re-read the staged copy and compare it with ``expected``."""
    staged = store.stage(local, key)
    copy = work / "staged-copy.parquet"
    if not store.fetch(staged, copy):
        raise LakeError(f"the staged file {store.uri(staged)} vanished; check the lake storage and run again")
    found = parquet_digest(copy)
    copy.unlink()
    if found != expected:
        raise LakeError(
            f"verification failed for {store.uri(key)}: expected {expected.row_count} rows with checksum "
            f"{expected.checksum}, the written file holds {found.row_count} with {found.checksum}. "
            "Nothing was dropped; check the lake storage and run again."
        )
    return staged


@contextmanager
def work_dir() -> Iterator[Path]:
    """A scratch folder for copies of lake files, removed afterwards.

    Its name carries our process id: a process killed mid-way cannot clean up, so folders of processes
    that no longer exist are removed here first (they may hold copies of personal data).
    """
    for leftover in Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*-*"):
        owner = leftover.name.removeprefix(WORK_PREFIX).split("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(leftover, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{WORK_PREFIX}{os.getpid()}-") as folder:
        yield Path(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
