"""Writing learner events in bulk: binary COPY into a staging table, then one idempotent insert.

COPY cannot skip duplicates by itself, so rows go to a temporary table first; the insert into the
partitioned ``learner_events`` then ignores any ``(event_id, occurred_at)`` already stored, which makes
replays and client retries no-ops.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import psycopg
from psycopg.types.json import Jsonb

from skillstudio.events import EVENT_COLUMNS, EventRow

_COPY_TYPES = [
    "uuid", "timestamptz", "timestamptz", "uuid", "text", "text", "text", "uuid", "uuid", "uuid",
    "int4", "float8", "bool", "bool", "text", "float8", "jsonb",
]  # fmt: skip
_COLUMN_LIST = ", ".join(EVENT_COLUMNS)


def write_events(conn: psycopg.Connection, rows: Iterable[EventRow]) -> list[uuid.UUID]:
    """Store events that are not stored yet and return the ids of those written.

    Runs inside the caller's transaction: nothing is committed here.
    """
    conn.execute(
        "create temp table if not exists incoming_learner_events "
        "(like learner_events including defaults) on commit drop"
    )
    conn.execute("truncate incoming_learner_events")
    with conn.cursor().copy(
        f"copy incoming_learner_events ({_COLUMN_LIST}) from stdin (format binary)"
    ) as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row((*row[:-1], Jsonb(row[-1])))
    inserted = conn.execute(
        f"insert into learner_events ({_COLUMN_LIST}) "
        f"select distinct on (event_id, occurred_at) {_COLUMN_LIST} from incoming_learner_events "
        "on conflict do nothing returning event_id"
    ).fetchall()
    return [event_id for (event_id,) in inserted]


def ensure_month_partitions(conn: psycopg.Connection, first: date, last: date) -> list[str]:
    """Create the monthly partitions covering ``first``..``last`` (moving rows out of the default one)."""
    names = conn.execute(
        "select ensure_learner_event_partition(month::date) "
        "from generate_series(date_trunc('month', %s::date), %s::date, interval '1 month') as month",
        (first, last),
    ).fetchall()
    return [name for (name,) in names]
