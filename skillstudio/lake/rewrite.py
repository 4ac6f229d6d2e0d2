"""Rewriting one learner's rows inside lake files (the lake half of an erasure).

A file is streamed batch by batch into a new local file in which the learner's ``actor_id`` is the
pseudonym and event ids derived from the old id are derived again; the new file's expected digest is
computed from the batches written, and :func:`skillstudio.lake.manifest.replace_file` verifies the staged copy
against it before swapping it in. The learner is found by the SHA-256 reference of the erasure log, so a
resumed erasure needs no copy of the old id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from skillstudio.events.contract import derive_event_id
from skillstudio.lake.format import EMPTY, batch_digest, open_writer
from skillstudio.lake.manifest import ManifestEntry, fetch_stored, replace_file, verify_stored
from skillstudio.lake.store import LakeStore


def rederived_event_id(
    event_id: uuid.UUID, *, old: uuid.UUID, new: uuid.UUID, verb: str, object_type: str,
    object_id: str, occurred_at: datetime, attempt: int | None,
) -> uuid.UUID:  # fmt: skip
    """The event id under the pseudonym: derived again when it was derived from ``old``, else kept
    (a client-chosen id says nothing about the learner)."""

    def derived(actor: uuid.UUID) -> uuid.UUID:
        return derive_event_id(
            actor_id=actor, verb=verb, object_type=object_type, object_id=object_id,
            occurred_at=occurred_at, attempt=attempt,
        )  # fmt: skip

    return derived(new) if event_id == derived(old) else event_id


def actor_in_file(path: Path, is_learner: Callable[[str], bool]) -> str | None:
    """The actor id in a file for which ``is_learner`` holds, if any (reads one column)."""
    actors = pc.unique(pq.read_table(path, columns=["actor_id"]).column("actor_id")).to_pylist()
    return next((actor for actor in actors if actor is not None and is_learner(actor)), None)


def _rewrite_batch(batch: pa.RecordBatch, old: str, new: uuid.UUID) -> tuple[pa.RecordBatch, int]:
    mask = pc.equal(batch.column("actor_id"), old)
    hits = pc.sum(mask).as_py() or 0
    if not hits:
        return batch, 0
    event_ids = batch.column("event_id").to_pylist()
    matched = batch.filter(mask).to_pylist()
    for index, row in zip(pc.indices_nonzero(mask).to_pylist(), matched, strict=True):
        event_ids[index] = str(
            rederived_event_id(
                uuid.UUID(row["event_id"]), old=uuid.UUID(old), new=new, verb=row["verb"],
                object_type=row["object_type"], object_id=row["object_id"],
                occurred_at=row["occurred_at"], attempt=row.get("attempt"),
            )
        )  # fmt: skip
    columns = dict(zip(batch.schema.names, batch.columns, strict=True))
    columns["actor_id"] = pc.if_else(mask, str(new), batch.column("actor_id"))
    columns["event_id"] = pa.array(event_ids, pa.string())
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=batch.schema), int(hits)


def rewrite_actor(
    conn: psycopg.Connection,
    side: psycopg.Connection,
    store: LakeStore,
    entry: ManifestEntry,
    is_learner: Callable[[str], bool],
    pseudonym: uuid.UUID,
    work: Path,
) -> int:
    """Give the learner's rows in this month's file the pseudonym; returns the rows changed."""
    stored = fetch_stored(store, entry, work)
    old = actor_in_file(stored, is_learner)
    if old is None:
        return 0
    # Only a file about to be replaced needs proving: the replacement is built from it.
    verify_stored(conn, store, entry, stored)
    rewritten = work / "rewritten.parquet"
    parquet = pq.ParquetFile(stored)
    changed, expected = 0, EMPTY
    with open_writer(rewritten, parquet.schema_arrow) as writer:
        for batch in parquet.iter_batches(batch_size=65_536):
            new_batch, hits = _rewrite_batch(batch, old, pseudonym)
            writer.write_batch(new_batch)
            changed, expected = changed + hits, expected + batch_digest(new_batch)
    replace_file(conn, side, store, entry.month, rewritten, expected, work)
    return changed
