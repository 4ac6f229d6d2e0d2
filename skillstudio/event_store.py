"""Writing learner events in bulk: binary COPY into a staging table, then one idempotent insert.

COPY cannot skip duplicates by itself, so rows go to a temporary table first; the insert into the
partitioned ``learner_events`` then ignores any ``(event_id, occurred_at)`` already stored, which makes
replays and client retries no-ops.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import psycopg
import pydantic_core
from psycopg.types.json import JsonbBinaryDumper

from skillstudio.events import EVENT_COLUMNS, EventRow

# PostgreSQL type of each column of EVENT_COLUMNS, for binary COPY. jsonb columns take plain dicts.
_COPY_TYPES = [
    "uuid", "timestamptz", "timestamptz", "uuid", "text", "text", "text", "uuid", "uuid", "uuid",
    "int4", "float8", "bool", "bool", "text", "float8", "jsonb",
    "float8", "float8", "float8", "jsonb", "jsonb",
]  # fmt: skip
assert len(_COPY_TYPES) == len(EVENT_COLUMNS)
# Rows built by hand before columns were appended hold the first 17 columns; the rest default to NULL.
_SHORTEST_ROW = 17


class _JsonbDumper(JsonbBinaryDumper):
    """jsonb for the COPY: ``{}`` (most rows' extensions) as a constant, anything else through pydantic-core,
    several times faster than ``json.dumps``. Registered on the COPY's own cursor only."""

    def dump(self, obj: Any) -> bytes:
        return b"\x01{}" if obj == {} else b"\x01" + pydantic_core.to_json(obj)


def write_events(conn: psycopg.Connection, rows: Iterable[EventRow]) -> list[uuid.UUID]:
    """Store events that are not stored yet and return the ids of those written.

    Every row has the same length: all of ``EVENT_COLUMNS``, or a prefix of at least the first 17 (the
    columns after it are stored as NULL). Runs inside the caller's transaction: nothing is committed here.
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return []
    width = len(first)
    if not _SHORTEST_ROW <= width <= len(EVENT_COLUMNS):
        raise ValueError(f"an event row has {_SHORTEST_ROW} to {len(EVENT_COLUMNS)} values, not {width}")
    columns = ", ".join(EVENT_COLUMNS[:width])
    # The staging table outlives the transaction (its rows do not), so a pooled connection creates it
    # once instead of paying for catalogue changes on every batch.
    conn.execute(
        "create temp table if not exists incoming_learner_events "
        "(like learner_events including defaults) on commit delete rows"
    )
    cursor = conn.cursor()
    cursor.adapters.register_dumper(None, _JsonbDumper)
    with cursor.copy(f"copy incoming_learner_events ({columns}) from stdin (format binary)") as copy:
        copy.set_types(_COPY_TYPES[:width])
        write_row = copy.write_row
        for row in itertools.chain((first,), iterator):
            write_row(row)
    inserted = conn.execute(
        f"insert into learner_events ({columns}) "
        f"select distinct on (event_id, occurred_at) {columns} from incoming_learner_events "
        "on conflict do nothing returning event_id"
    ).fetchall()
    # Emptied now rather than at commit: a caller may write several chunks in one transaction.
    conn.execute("truncate incoming_learner_events")
    return [event_id for (event_id,) in inserted]


def ensure_month_partitions(conn: psycopg.Connection, first: date, last: date) -> list[str]:
    """Create the monthly partitions covering ``first``..``last`` (moving rows out of the default one)."""
    names = conn.execute(
        "select ensure_learner_event_partition(month::date) "
        "from generate_series(date_trunc('month', %s::date), %s::date, interval '1 month') as month",
        (first, last),
    ).fetchall()
    return [name for (name,) in names]
