"""The event store's write paths: every one takes ``EventRow``s (or numpy columns, for bulk loads) and
ends in one of two inserts into ``learner_events``, both ``on conflict do nothing``.

``write_events`` runs in the caller's transaction; it serves the API's own changes (``record_event``), the
event route (one batch, or a group of them: ``skillstudio.events.writer``) and the importers. A batch of a
few rows (a learner's single statement, the usual live request) is one ``insert ... values``: a COPY and
its staging table cost four round trips and a truncate, several times the insert itself. Larger batches
are copied in binary into a temporary table first, because COPY cannot skip duplicates by itself, and
``insert_from_staging`` takes them from there; the bulk loader (``skillstudio.events.bulk_load``) ends in
the same insert. Either way replays and client retries are no-ops.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
import pydantic_core
from psycopg import sql
from psycopg.types.json import Jsonb, JsonbBinaryDumper

from skillstudio.events.contract import COLUMN_TYPES, EVENT_COLUMNS

# Rows built before columns were appended hold the first 17 columns; the rest are stored as NULL.
_SHORTEST_ROW = 17
# Up to this many rows, a batch is inserted from VALUES; above, COPY into a staging table is faster.
FEW_ROWS = 32


# A few entries: the live staging table at each width, and the bulk loads' tables of the moment.
@functools.lru_cache(maxsize=32)
def insert_from_staging(table: str, columns: tuple[str, ...], *, returning: bool = False) -> bytes:
    """The insert of a staging table's rows into ``learner_events``: each ``(event_id, occurred_at)`` once,
    none that is stored already; ``returning`` the ids of those inserted."""
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    return (
        sql.SQL(
            "insert into learner_events ({names}) select distinct on (event_id, occurred_at) {names} "
            "from {table} on conflict do nothing{returning}"
        )
        .format(
            names=names,
            table=sql.Identifier(table),
            returning=sql.SQL(" returning event_id" if returning else ""),
        )
        .as_bytes()
    )


class _JsonbDumper(JsonbBinaryDumper):
    """jsonb for the COPY: ``{}`` (most rows' extensions) as a constant, anything else through pydantic-core,
    several times faster than ``json.dumps``. Registered on the COPY's own cursor only."""

    def dump(self, obj: Any) -> bytes:
        return b"\x01{}" if obj == {} else b"\x01" + pydantic_core.to_json(obj)


def write_events(conn: psycopg.Connection, rows: Iterable[Sequence[Any]]) -> list[uuid.UUID]:
    """Store events that are not stored yet and return the ids of those written.

    Every row has the same length: a whole ``EventRow``, or one cut after at least the first 17 columns
    (the columns after it are stored as NULL). Runs in the caller's transaction: nothing is committed here.
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


def _insert_few(conn: psycopg.Connection, rows: list[Sequence[Any]], width: int) -> list[uuid.UUID]:
    """A handful of rows in one round trip; ``on conflict do nothing`` also skips repeats within the batch."""
    for row in rows:
        if len(row) != width:
            raise ValueError(f"every event row of a batch has the same length; got {len(row)} and {width}")
    jsonb = [index for index, kind in enumerate(COLUMN_TYPES[:width]) if kind == "jsonb"]
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
        sql.SQL(", ").join(sql.SQL("%s::{}").format(sql.SQL(kind)) for kind in COLUMN_TYPES[:width])
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


def _copy_many(conn: psycopg.Connection, rows: Iterable[Sequence[Any]], width: int) -> list[uuid.UUID]:
    columns = EVENT_COLUMNS[:width]
    # The staging table outlives the transaction (its rows do not), so a pooled connection creates it
    # once instead of paying for catalogue changes on every batch.
    conn.execute(
        "create temp table if not exists incoming_learner_events "
        "(like learner_events including defaults) on commit delete rows"
    )
    cursor = conn.cursor()
    cursor.adapters.register_dumper(None, _JsonbDumper)
    with cursor.copy(
        f"copy incoming_learner_events ({', '.join(columns)}) from stdin (format binary)"
    ) as copy:
        copy.set_types(list(COLUMN_TYPES[:width]))
        write_row = copy.write_row
        for row in rows:
            write_row(row)
    inserted = conn.execute(
        insert_from_staging("incoming_learner_events", columns, returning=True)
    ).fetchall()
    # Emptied now rather than at commit: a caller may write several chunks in one transaction.
    conn.execute("truncate incoming_learner_events")
    return [event_id for (event_id,) in inserted]
