"""Writing learner events: one idempotent insert, fed by a binary COPY when the batch is large.

COPY cannot skip duplicates by itself, so large batches go to a temporary table first; the insert into the
partitioned ``learner_events`` then ignores any ``(event_id, occurred_at)`` already stored, which makes
replays and client retries no-ops. A batch of a few rows (a learner's single statement, the usual live
request) is one ``insert ... values ... on conflict do nothing`` instead: the COPY and its staging table
cost four round trips and a truncate, several times the insert itself.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import psycopg
import pydantic_core
from psycopg import sql
from psycopg.types.json import Jsonb, JsonbBinaryDumper

from skillstudio.events.contract import EVENT_COLUMNS, EventRow

# PostgreSQL type of each column of EVENT_COLUMNS, for binary COPY. jsonb columns take plain dicts.
_COPY_TYPES = [
    "uuid", "timestamptz", "timestamptz", "uuid", "text", "text", "text", "uuid", "uuid", "uuid",
    "int4", "float8", "bool", "bool", "text", "float8", "jsonb",
    "float8", "float8", "float8", "jsonb", "jsonb",
]  # fmt: skip
assert len(_COPY_TYPES) == len(EVENT_COLUMNS)
# Rows built by hand before columns were appended hold the first 17 columns; the rest default to NULL.
_SHORTEST_ROW = 17
# Up to this many rows, a batch is inserted from VALUES; above, COPY into a staging table is faster.
FEW_ROWS = 32


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
    head = list(itertools.islice(iterator, FEW_ROWS + 1))
    if not head:
        return []
    width = len(head[0])
    if not _SHORTEST_ROW <= width <= len(EVENT_COLUMNS):
        raise ValueError(f"an event row has {_SHORTEST_ROW} to {len(EVENT_COLUMNS)} values, not {width}")
    if len(head) <= FEW_ROWS:
        return _insert_few(conn, head, width)
    return _copy_many(conn, itertools.chain(head, iterator), width)


def _insert_few(conn: psycopg.Connection, rows: list[EventRow], width: int) -> list[uuid.UUID]:
    """A handful of rows in one round trip; ``on conflict do nothing`` also skips repeats within the batch."""
    for row in rows:
        if len(row) != width:
            raise ValueError(f"every event row of a batch has the same length; got {len(row)} and {width}")
    jsonb = [index for index, kind in enumerate(_COPY_TYPES[:width]) if kind == "jsonb"]
    params: list[Any] = []
    for row in rows:
        values = list(row)
        for index in jsonb:
            if values[index] is not None:
                values[index] = Jsonb(values[index], dumps=_dump_json)
        params.extend(values)
    inserted = conn.execute(_values_insert(width, len(rows)), params).fetchall()
    return [event_id for (event_id,) in inserted]


@functools.cache
def _values_insert(width: int, rows: int) -> bytes:
    """The insert of ``rows`` rows of ``width`` columns, composed once (it is on every live request)."""
    placeholder = sql.SQL("({})").format(
        sql.SQL(", ").join(sql.SQL("%s::{}").format(sql.SQL(kind)) for kind in _COPY_TYPES[:width])
    )
    return (
        sql.SQL("insert into learner_events ({}) values {} on conflict do nothing returning event_id")
        .format(
            sql.SQL(", ").join(map(sql.Identifier, EVENT_COLUMNS[:width])),
            sql.SQL(", ").join([placeholder] * rows),
        )
        .as_bytes()
    )


def _dump_json(value: Any) -> str:
    return pydantic_core.to_json(value).decode()


def _copy_many(conn: psycopg.Connection, rows: Iterable[EventRow], width: int) -> list[uuid.UUID]:
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
        for row in rows:
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
