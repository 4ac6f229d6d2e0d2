"""Loading millions of learner events from numpy columns: binary COPY, then indexes built once.

Copying rows into an indexed table updates each b-tree (the primary key, the actor index) per row: on
this machine that ran at 85,000 events/s, against a million for COPY into a bare table. So months whose
partition is empty (a generated history, a first import) take the fast path: their partition is dropped
and replaced by a table filled without indexes, which get built once, by sorting (about 0.6 µs per event
for both), before the table is attached as the month's partition. The primary key is checked while it is
built; a stream that repeated an event is de-duplicated first, so the result is the same as
``write_events``: every distinct ``(event_id, occurred_at)`` stored once. The copying and the index builds
run on side connections, two at a time (:mod:`skillstudio.events.bulk_staging`).

Months that already hold events take the safe path: their rows are staged too and inserted with
``on conflict do nothing``, so replaying a load adds nothing.

What lands in ``learner_events`` does so in the caller's transaction, which commits it. Dropping the fast
months' partitions locks ``learner_events`` (readers and writers wait) until that transaction ends: this is
a bulk loader, not the path of the live API.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import date
from types import TracebackType

import numpy as np
import psycopg
from psycopg import pq, sql
from psycopg.copy import QueuedLibpqWriter

from skillstudio.events.binary_copy import SIGNATURE, TRAILER, Categorical, encode, row_count
from skillstudio.events.bulk_staging import StagedMonth, Staging
from skillstudio.events.partitions import ensure_month_partitions, month_bounds

ColumnValues = np.ndarray | Categorical
# ``copy_events`` takes the fast path from this many rows on: below, the time saved does not pay for
# locking the whole table.
FAST_PATH_MIN_ROWS = 50_000


def savepoint(conn: psycopg.Connection) -> AbstractContextManager[psycopg.Transaction]:
    """A savepoint in the caller's transaction, so that the caller commits (as with ``write_events``).

    psycopg's ``transaction()`` on a connection that has not started a transaction yet would open and
    commit one of its own; a first statement starts the caller's transaction instead. In autocommit
    mode there is no caller's transaction: the block is one.
    """
    if not conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        conn.execute("select")
    return conn.transaction()


def column_types(conn: psycopg.Connection, table: str) -> dict[str, str]:
    """The PostgreSQL type of each column of ``table``, as ``format_type`` spells it."""
    rows = conn.execute(
        "select attname, format_type(atttypid, null) from pg_attribute "
        "where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
        (table,),
    ).fetchall()
    return dict(rows)


def copy_rows(conn: psycopg.Connection, table: str, columns: Mapping[str, ColumnValues]) -> int:
    """Plain binary COPY of numpy columns into ``table`` (a duplicate key fails, as with INSERT)."""
    return copy_batches(conn, table, [columns])


def copy_batches(conn: psycopg.Connection, table: str, batches: Iterable[Mapping[str, ColumnValues]]) -> int:
    """Several batches with the same columns through one COPY into ``table``; returns the row count."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return 0
    # Before the COPY starts: the connection runs nothing else until it ends.
    types = column_types(conn, table)
    names = sql.SQL(", ").join(map(sql.Identifier, first))
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        sql.Identifier(*table.split(".")), names
    )
    rows = 0
    cursor = conn.cursor()
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.write(SIGNATURE)
        for columns in itertools.chain([first], batches):
            if list(columns) != list(first):
                raise ValueError(f"every batch must have the columns {list(first)}; got {list(columns)}")
            for block in encode(types, columns):
                copy.write(block)
            rows += row_count(columns)
        copy.write(TRAILER)
    return rows


@contextmanager
def foreign_keys_checked_once(conn: psycopg.Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the foreign keys of ``tables`` for a bulk load, then add them back, which checks every row
    with one join instead of one lookup (and one row lock) per inserted row.

    Everything happens in a savepoint: if the load fails, the constraints were never gone. The tables stay
    locked against other writers until the caller's transaction ends.
    """
    with savepoint(conn):
        constraints = conn.execute(
            "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint "
            "where contype = 'f' and conrelid = any(%s::regclass[]) order by conrelid, conname",
            (list(tables),),
        ).fetchall()
        for table, name, _ in constraints:
            conn.execute(
                sql.SQL("alter table {} drop constraint {}").format(sql.SQL(table), sql.Identifier(name))
            )
        yield
        for table, name, definition in constraints:
            conn.execute(
                sql.SQL("alter table {} add constraint {} {}").format(
                    sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
                )
            )


def copy_events(
    conn: psycopg.Connection, columns: Mapping[str, ColumnValues], *, fast: bool | None = None
) -> int:
    """Store the events of ``columns`` not stored yet; return how many were stored.

    ``event_id`` and ``occurred_at`` are required; columns left out take their defaults. ``fast``
    forces (or forbids) the fast path for empty months; by default it is used from
    ``FAST_PATH_MIN_ROWS`` rows on.
    """
    rows = row_count(columns)
    if rows == 0:
        return 0
    occurred = np.asarray(columns["occurred_at"]).astype("datetime64[D]")
    if np.isnat(occurred).any():
        raise ValueError("occurred_at has NaT (NULL) values: every event needs the time it happened")
    first, last = occurred.min().item(), occurred.max().item()
    use_fast = rows >= FAST_PATH_MIN_ROWS if fast is None else fast
    with EventLoader(conn, list(columns), first=first, last=last, fast=use_fast) as loader:
        loader.write(columns)
    return loader.stored


class EventLoader:
    """A stream of event batches into ``learner_events`` (see the module docstring).

    ``first``..``last`` are the days the events cover; rows outside them are still stored, through the
    safe path. Use as a context manager; afterwards ``stored`` is the number of events stored.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        columns: Sequence[str],
        *,
        first: date,
        last: date,
        fast: bool = True,
    ) -> None:
        if not {"event_id", "occurred_at"} <= set(columns):
            raise ValueError("event_id and occurred_at are required: they are the key of learner_events")
        self.conn, self.columns, self.first, self.last, self.fast = conn, list(columns), first, last, fast
        self.sent = 0
        self.stored = 0
        # Month starts and ends of the fast months, in order, and the rows sent into each.
        self._bounds = np.empty(0, dtype="datetime64[us]")
        self._fast_rows = np.zeros(0, dtype=np.int64)
        self._transaction = ExitStack()
        self._staging: Staging | None = None

    def __enter__(self) -> EventLoader:
        self._transaction.enter_context(savepoint(self.conn))
        try:
            self._start()
        except BaseException as failure:
            self._transaction.__exit__(type(failure), failure, failure.__traceback__)
            if self._staging is not None:
                self._staging.close()
            raise
        return self

    def _start(self) -> None:
        conn = self.conn
        types = column_types(conn, "learner_events")
        unknown = [name for name in self.columns if name not in types]
        if unknown:
            raise ValueError(f"unknown columns {unknown}; learner_events has {list(types)}")
        months = []
        names = ensure_month_partitions(conn, self.first, self.last)
        for name, (lower, upper) in zip(names, month_bounds(self.first, self.last), strict=True):
            if self.fast and _is_empty(conn, name):
                # Dropped now, in the caller's transaction: writers of this month wait until it ends, and
                # the staged table takes its place.
                conn.execute(
                    sql.SQL("alter table learner_events detach partition {}").format(sql.Identifier(name))
                )
                conn.execute(sql.SQL("drop table {}").format(sql.Identifier(name)))
                months.append(StagedMonth(name, lower, upper))
        # Naive UTC: numpy does not take time zones.
        bounds = [bound.replace(tzinfo=None) for month in months for bound in (month.lower, month.upper)]
        self._bounds = np.array(bounds, dtype="datetime64[us]")
        self._fast_rows = np.zeros(len(months), dtype=np.int64)
        self._staging = Staging(conn, types, months)
        self._staging.open(self.columns)

    def write(self, columns: Mapping[str, ColumnValues]) -> int:
        """Send one batch (the loader's columns, in any order); returns its row count."""
        if set(columns) != set(self.columns):
            raise ValueError(f"a batch must have exactly the columns {self.columns}; got {list(columns)}")
        assert self._staging is not None, "use the loader as a context manager"
        rows = row_count(columns)
        self._staging.write({name: columns[name] for name in self.columns}, rows)
        if len(self._bounds):
            occurred = np.asarray(columns["occurred_at"]).astype("datetime64[us]")
            # Even positions of the bounds are month starts: rows between a start and its end are fast.
            slot = np.searchsorted(self._bounds, occurred, side="right") - 1
            inside = (slot >= 0) & (slot % 2 == 0)
            self._fast_rows += np.bincount(slot[inside] // 2, minlength=len(self._fast_rows))
        self.sent += rows
        return rows

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> bool | None:
        staging = self._staging
        assert staging is not None
        if error is not None:
            staging.abort(error)
            try:
                return self._transaction.__exit__(kind, error, trace)
            finally:
                staging.close()
        try:
            staging.finish()
            rest = staging.take_over()
            removed = np.array([month.removed for month in staging.months], dtype=np.int64)
            self.stored = int((self._fast_rows - removed).sum()) + rest
        except BaseException as failure:
            staging.abort(failure)
            try:
                self._transaction.__exit__(type(failure), failure, failure.__traceback__)
            finally:
                staging.close()
            raise
        self._transaction.close()
        staging.close()
        return None


def _is_empty(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute(sql.SQL("select exists (select from {})").format(sql.Identifier(table))).fetchone()
    return row is not None and not row[0]
