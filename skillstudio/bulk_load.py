"""Loading millions of learner events from numpy columns: binary COPY, then indexes built once.

Copying rows into an indexed table updates each b-tree (the primary key, the actor index) per row: on
this machine that ran at 85,000 events/s, against a million for COPY into a bare table. So months whose
partition is empty (a generated history, a first import) take the fast path: their partition is swapped
for a bare table, rows are copied into it, and attaching it back to ``learner_events`` makes PostgreSQL
build each index once, by sorting (about 0.6 µs per event for both). The primary key is checked while it
is built; a stream that repeated an event is de-duplicated and attached again, so the result is the same
as ``write_events``: every distinct ``(event_id, occurred_at)`` stored once.

Months that already hold events take the safe path: rows go to a staging table and are inserted with
``on conflict do nothing``, so replaying a load adds nothing.

Everything runs in the caller's transaction. Swapping partitions locks ``learner_events`` (readers and
writers wait) until that transaction ends: this is a bulk loader, not the path of the live API.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, date, datetime
from types import TracebackType

import numpy as np
import psycopg
from psycopg import pq, sql
from psycopg.copy import QueuedLibpqWriter

from skillstudio.binary_copy import SIGNATURE, TRAILER, Categorical, encode_column, encode_rows
from skillstudio.event_store import ensure_month_partitions

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


def _row_count(columns: Mapping[str, ColumnValues]) -> int:
    counts = {len(v.codes) if isinstance(v, Categorical) else len(v) for v in columns.values()}
    if len(counts) != 1:
        raise ValueError(f"columns must have the same length; got lengths {sorted(counts)}")
    return counts.pop()


def encode(types: Mapping[str, str], columns: Mapping[str, ColumnValues]) -> Iterator[memoryview]:
    """Binary COPY rows of ``columns`` (no signature or trailer), checked against the table's types."""
    unknown = [name for name in columns if name not in types]
    if unknown:
        raise ValueError(f"unknown columns {unknown}; the table has {list(types)}")
    fields = [encode_column(types[name], values) for name, values in columns.items()]
    return encode_rows(fields, _row_count(columns))


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
            rows += _row_count(columns)
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
    rows = _row_count(columns)
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
    """A stream of event batches into ``learner_events`` through one COPY (see the module docstring).

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
        self._router = f"learner_events_loading_{uuid.uuid4().hex[:12]}"
        # Fast months: partition name and bounds; rows sent into each.
        self._months: list[tuple[str, datetime, datetime]] = []
        self._bounds = np.empty(0, dtype="datetime64[us]")
        self._fast_rows = np.zeros(0, dtype=np.int64)
        self._transaction = ExitStack()
        self._copying = ExitStack()

    def __enter__(self) -> EventLoader:
        self._transaction.enter_context(savepoint(self.conn))
        try:
            self._start()
        except BaseException as failure:
            self._transaction.__exit__(type(failure), failure, failure.__traceback__)
            raise
        return self

    def _start(self) -> None:
        conn = self.conn
        self.types = column_types(conn, "learner_events")
        unknown = [name for name in self.columns if name not in self.types]
        if unknown:
            raise ValueError(f"unknown columns {unknown}; learner_events has {list(self.types)}")
        router = sql.Identifier(self._router)
        conn.execute(
            sql.SQL(
                "create table {} (like learner_events including defaults) partition by range (occurred_at)"
            ).format(router)
        )
        rest = sql.Identifier(f"{self._router}_rest")
        conn.execute(sql.SQL("create table {} partition of {} default").format(rest, router))
        names = ensure_month_partitions(conn, self.first, self.last)
        for name, lower in zip(names, _month_starts(self.first, self.last), strict=True):
            upper = _next_month(lower)
            if self.fast and _is_empty(conn, name):
                self._swap_in_bare_table(name, lower, upper)
                self._months.append((name, lower, upper))
        # Naive UTC: numpy does not take time zones.
        bounds = [bound.replace(tzinfo=None) for _, lower, upper in self._months for bound in (lower, upper)]
        self._bounds = np.array(bounds, dtype="datetime64[us]")
        self._fast_rows = np.zeros(len(self._months), dtype=np.int64)
        cursor = conn.cursor()
        columns = sql.SQL(", ").join(map(sql.Identifier, self.columns))
        self._copy = self._copying.enter_context(
            cursor.copy(
                sql.SQL("copy {} ({}) from stdin (format binary)").format(router, columns),
                writer=QueuedLibpqWriter(cursor),
            )
        )
        self._copy.write(SIGNATURE)

    def _swap_in_bare_table(self, name: str, lower: datetime, upper: datetime) -> None:
        """Replace the empty partition ``name`` by a table without indexes, routed to by the loader."""
        partition = sql.Identifier(name)
        self.conn.execute(sql.SQL("alter table learner_events detach partition {}").format(partition))
        self.conn.execute(sql.SQL("drop table {}").format(partition))
        self.conn.execute(
            sql.SQL("create table {} (like learner_events including defaults including constraints)").format(
                partition
            )
        )
        self.conn.execute(
            sql.SQL("alter table {} attach partition {} for values from ({}) to ({})").format(
                sql.Identifier(self._router), partition, sql.Literal(lower), sql.Literal(upper)
            )
        )

    def write(self, columns: Mapping[str, ColumnValues]) -> int:
        """Send one batch (the loader's columns, in any order); returns its row count."""
        if set(columns) != set(self.columns):
            raise ValueError(f"a batch must have exactly the columns {self.columns}; got {list(columns)}")
        rows = _row_count(columns)
        for block in encode(self.types, {name: columns[name] for name in self.columns}):
            self._copy.write(block)
        if len(self._months):
            occurred = np.asarray(columns["occurred_at"]).astype("datetime64[us]")
            # Even positions of the bounds are month starts: rows between a start and its end are fast.
            slot = np.searchsorted(self._bounds, occurred, side="right") - 1
            inside = (slot >= 0) & (slot % 2 == 0)
            self._fast_rows += np.bincount(slot[inside] // 2, minlength=len(self._months))
        self.sent += rows
        return rows

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> bool | None:
        if error is not None:
            self._copying.__exit__(kind, error, trace)
            return self._transaction.__exit__(kind, error, trace)
        try:
            self._copy.write(TRAILER)
            self._copying.close()
            self.stored = self._attach_fast_months() + self._insert_rest()
            self.conn.execute(sql.SQL("drop table {}").format(sql.Identifier(self._router)))
        except BaseException as failure:
            self._transaction.__exit__(type(failure), failure, failure.__traceback__)
            raise
        self._transaction.close()
        return None

    def _attach_fast_months(self) -> int:
        """Attach each loaded month to ``learner_events``, which builds its indexes."""
        conn, stored = self.conn, 0
        if not self._months:
            return 0
        previous = conn.execute("select current_setting('maintenance_work_mem')").fetchone()
        conn.execute("select set_config('maintenance_work_mem', %s, true)", (INDEX_BUILD_MEMORY,))
        for (name, lower, upper), rows in zip(self._months, self._fast_rows.tolist(), strict=True):
            partition = sql.Identifier(name)
            conn.execute(
                sql.SQL("alter table {} detach partition {}").format(sql.Identifier(self._router), partition)
            )
            attach = sql.SQL(
                "alter table learner_events attach partition {} for values from ({}) to ({})"
            ).format(partition, sql.Literal(lower), sql.Literal(upper))
            try:
                with conn.transaction():
                    conn.execute(attach)
            except psycopg.errors.UniqueViolation:
                # The stream repeated an event: keep one copy of each, as write_events would.
                rows -= conn.execute(sql.SQL(DEDUPLICATE).format(partition)).rowcount
                conn.execute(attach)
            stored += rows
        conn.execute("select set_config('maintenance_work_mem', %s, true)", previous)
        return stored

    def _insert_rest(self) -> int:
        """Rows of months that already held events: insert those not stored yet."""
        columns = sql.SQL(", ").join(map(sql.Identifier, self.columns))
        return self.conn.execute(
            sql.SQL(
                "insert into learner_events ({columns}) select distinct on (event_id, occurred_at) {columns} "
                "from {rest} on conflict do nothing"
            ).format(columns=columns, rest=sql.Identifier(f"{self._router}_rest"))
        ).rowcount


INDEX_BUILD_MEMORY = "256MB"
DEDUPLICATE = (
    "delete from {0} where ctid in (select ctid from (select ctid, row_number() over "
    "(partition by event_id, occurred_at order by ctid) as copy from {0}) as numbered where copy > 1)"
)


def _month_starts(first: date, last: date) -> list[datetime]:
    """Midnight UTC of the first day of each month from ``first``'s to ``last``'s."""
    month = datetime(first.year, first.month, 1, tzinfo=UTC)
    months = []
    while month.date() <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _is_empty(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute(sql.SQL("select exists (select from {})").format(sql.Identifier(table))).fetchone()
    return row is not None and not row[0]
