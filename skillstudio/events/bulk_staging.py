"""The bulk loader's staging: events copied and indexed by connections of their own, in parallel.

One connection copies at about a million events a second on this machine and builds indexes after the
copy, one month at a time: each step leaves the other core idle. So the loader stages its rows through side
connections instead: a routing table (partitioned by month like ``learner_events``) takes two COPY streams
at once, each month's staging table then gets its primary key and indexes on two connections at once, and
only then does the caller's connection take the months in, which is quick (the indexes exist, and a check
constraint spares the range scan). Rows of months that already hold events land in the routing table's
default partition, from which the caller's connection inserts what is not stored yet.

Side connections commit what they write, so staging tables are real tables until the caller's connection
takes them: a failed load drops them, and tables left by a connection that died are dropped by the next
load. Side connections never touch ``learner_events`` (their table definitions are spelled out from the
catalogue), so a caller's transaction holding locks on it cannot deadlock with them; a lock timeout turns
any wait that should not happen into an error instead of a hang.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import Copy, QueuedLibpqWriter

from skillstudio.events.binary_copy import SIGNATURE, TRAILER, Categorical, encode
from skillstudio.events.store import insert_from_staging

# COPY streams (and index builds) at once: one per core of the machine this was measured on.
STREAMS = 2
INDEX_BUILD_MEMORY = "256MB"
# A side connection waiting this long for a lock is waiting for something that will not come.
LOCK_TIMEOUT = "60s"
PREFIX = "le_load_"
DEDUPLICATE = (
    "delete from {0} where ctid in (select ctid from (select ctid, row_number() over "
    "(partition by event_id, occurred_at order by ctid) as copy from {0}) as numbered where copy > 1)"
)


@dataclass
class StagedMonth:
    """A month staged for the partition ``partition``, covering ``lower`` (included) to ``upper``."""

    partition: str
    lower: datetime
    upper: datetime
    table: str = ""
    removed: int = 0  # repeated events taken out before the primary key was built


class Staging:
    """Side connections and the tables they fill. Use ``open``, ``write``, ``finish``, ``take_over``, and
    ``close`` in all cases (it drops whatever was not taken over)."""

    def __init__(self, conn: psycopg.Connection, types: Mapping[str, str], months: Sequence[StagedMonth]):
        self.conn, self.types, self.months = conn, types, list(months)
        self.token = f"{PREFIX}{conn.info.backend_pid}_{uuid.uuid4().hex[:6]}"
        self.router, self.rest = self.token, f"{self.token}_rest"
        for month in self.months:
            month.table = f"{self.token}_{month.lower:%Y_%m}"
        self._definition = _table_definition(conn)
        self._indexes = _secondary_indexes(conn)
        self._side: list[psycopg.Connection] = []
        self._copies: list[Copy] = []
        self._copying = ExitStack()
        self._created: list[str] = []

    def _connect(self) -> psycopg.Connection:
        info = self.conn.info
        side = psycopg.connect(info.dsn, password=info.password, autocommit=True)
        side.execute(sql.SQL("set lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
        self._side.append(side)
        return side

    def open(self, columns: Sequence[str]) -> None:
        """Create the routing and staging tables and start one COPY per stream."""
        ddl = self._connect()
        _drop_orphans(ddl)
        router, rest = sql.Identifier(self.router), sql.Identifier(self.rest)
        self._created.append(self.router)  # its partitions go with it until they are detached
        ddl.execute(
            sql.SQL("create table {} ({}) partition by range (occurred_at)").format(router, self._definition)
        )
        ddl.execute(sql.SQL("create table {} partition of {} default").format(rest, router))
        for month in self.months:
            table = sql.Identifier(month.table)
            ddl.execute(sql.SQL("create table {} ({})").format(table, self._definition))
            self._created.append(month.table)
            ddl.execute(
                sql.SQL("alter table {} attach partition {} for values from ({}) to ({})").format(
                    router, table, sql.Literal(month.lower), sql.Literal(month.upper)
                )
            )
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(router, names)
        for stream in range(STREAMS):
            side = ddl if stream == 0 else self._connect()
            side.autocommit = False
            cursor = side.cursor()
            copy = self._copying.enter_context(cursor.copy(statement, writer=QueuedLibpqWriter(cursor)))
            copy.write(SIGNATURE)
            self._copies.append(copy)

    def write(self, columns: Mapping[str, Any], rows: int) -> None:
        """Send a batch, split between the streams by position (the server routes each row)."""
        share = -(-rows // len(self._copies))
        for stream, copy in enumerate(self._copies):
            low, high = stream * share, min(rows, (stream + 1) * share)
            if low >= high:
                break
            for block in encode(
                self.types, {name: _slice(values, low, high) for name, values in columns.items()}
            ):
                copy.write(block)

    def finish(self) -> None:
        """End the COPY streams, commit them, and build each staged month's indexes."""
        for copy in self._copies:
            copy.write(TRAILER)
        self._copying.close()
        for side in self._side:
            side.commit()
            side.autocommit = True
        ddl = self._side[0]
        for month in self.months:
            ddl.execute(
                sql.SQL("alter table {} detach partition {}").format(
                    sql.Identifier(self.router), sql.Identifier(month.table)
                )
            )
        # Largest months first, so that the last build to start is a short one.
        sizes = {month.table: _size(ddl, month.table) for month in self.months}
        queue = sorted(self.months, key=lambda month: -sizes[month.table])
        with ThreadPoolExecutor(len(self._side)) as pool:
            builders = [pool.submit(self._build_indexes, side, queue) for side in self._side]
            for builder in builders:
                builder.result()

    def _build_indexes(self, side: psycopg.Connection, queue: list[StagedMonth]) -> None:
        side.execute(sql.SQL("set maintenance_work_mem = {}").format(sql.Literal(INDEX_BUILD_MEMORY)))
        while queue:
            try:
                month = queue.pop(0)
            except IndexError:
                return
            table = sql.Identifier(month.table)
            primary_key = sql.SQL("alter table {} add primary key (event_id, occurred_at)").format(table)
            try:
                side.execute(primary_key)
            except psycopg.errors.UniqueViolation:
                # The stream repeated an event: keep one copy of each, as write_events would.
                month.removed = side.execute(sql.SQL(DEDUPLICATE).format(table)).rowcount
                side.execute(primary_key)
            for method_and_columns in self._indexes:
                side.execute(sql.SQL("create index on {} {}").format(table, sql.SQL(method_and_columns)))
            # The partition's range as a constraint: attaching it then skips scanning the rows.
            side.execute(
                sql.SQL(
                    "alter table {} add constraint {} check (occurred_at >= {} and occurred_at < {})"
                ).format(
                    table,
                    sql.Identifier(f"{month.table}_range"),
                    sql.Literal(month.lower),
                    sql.Literal(month.upper),
                )
            )

    def take_over(self) -> int:
        """In the caller's transaction: each staged month becomes its partition; rows of other months are
        inserted unless stored already. Returns how many of those were inserted."""
        conn = self.conn
        for side in self._side:
            side.close()
        self._side.clear()
        for month in self.months:
            table, partition = sql.Identifier(month.table), sql.Identifier(month.partition)
            indexes = conn.execute(
                "select indexrelid::regclass::text from pg_index where indrelid = %s::regclass",
                (month.table,),
            ).fetchall()
            conn.execute(sql.SQL("alter table {} rename to {}").format(table, partition))
            for (index,) in indexes:
                renamed = month.partition + index.removeprefix(month.table)
                conn.execute(
                    sql.SQL("alter index {} rename to {}").format(
                        sql.Identifier(index), sql.Identifier(renamed)
                    )
                )
            conn.execute(
                sql.SQL("alter table learner_events attach partition {} for values from ({}) to ({})").format(
                    partition, sql.Literal(month.lower), sql.Literal(month.upper)
                )
            )
            conn.execute(
                sql.SQL("alter table {} drop constraint {}").format(
                    partition, sql.Identifier(f"{month.table}_range")
                )
            )
        inserted = conn.execute(insert_from_staging(self.rest, tuple(self.types))).rowcount
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(self.router)))
        self._created.clear()
        return inserted

    def abort(self, error: BaseException) -> None:
        """Cancel the COPY streams (their rows are rolled back); ``close`` then drops the tables."""
        copying, self._copying = self._copying, ExitStack()
        # The load has failed already: its first error is the one raised.
        with contextlib.suppress(Exception):
            copying.__exit__(type(error), error, error.__traceback__)

    def close(self) -> None:
        """End the side connections; drop the tables not taken over (a load that failed)."""
        self._copying.close()
        for side in self._side:
            side.close()
        self._side.clear()
        if self._created:
            with psycopg.connect(
                self.conn.info.dsn, password=self.conn.info.password, autocommit=True
            ) as side:
                side.execute(sql.SQL("set lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
                for table in self._created:
                    side.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(table)))
            self._created.clear()


def _slice(values: Any, low: int, high: int) -> Any:
    if isinstance(values, Categorical):
        return Categorical(values.codes[low:high], values.categories)
    return values[low:high]


def _size(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute("select pg_relation_size(%s::regclass)", (table,)).fetchone()
    return int(row[0]) if row else 0


def _table_definition(conn: psycopg.Connection) -> sql.Composable:
    """The columns of ``learner_events`` (types, NOT NULL, defaults) and its check constraints, as DDL."""
    columns = conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_get_expr(d.adbin, d.adrelid) "
        "from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
        "where a.attrelid = 'learner_events'::regclass and a.attnum > 0 and not a.attisdropped "
        "order by a.attnum"
    ).fetchall()
    checks = conn.execute(
        "select conname, pg_get_constraintdef(oid) from pg_constraint "
        "where conrelid = 'learner_events'::regclass and contype = 'c' order by conname"
    ).fetchall()
    parts = [
        sql.SQL("{} {}{}{}").format(
            sql.Identifier(name),
            sql.SQL(kind),
            sql.SQL(" not null" if not_null else ""),
            sql.SQL(f" default {default}" if default is not None else ""),
        )
        for name, kind, not_null, default in columns
    ]
    parts += [
        sql.SQL("constraint {} {}").format(sql.Identifier(name), sql.SQL(check)) for name, check in checks
    ]
    return sql.SQL(", ").join(parts)


def _secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """``using <method> (<columns>)`` of each index of ``learner_events`` but its primary key's."""
    definitions = conn.execute(
        "select pg_get_indexdef(indexrelid) from pg_index "
        "where indrelid = 'learner_events'::regclass and not indisprimary order by indexrelid"
    ).fetchall()
    return [definition[definition.index(" USING ") + 1 :] for (definition,) in definitions]


def _drop_orphans(side: psycopg.Connection) -> None:
    """Drop staging tables of loads whose connection is gone (a killed process)."""
    pattern = f"^{PREFIX}([0-9]+)_"
    rows = side.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = current_schema() and c.relkind in ('r', 'p') and not c.relispartition "
        "and c.relname ~ %s and substring(c.relname from %s)::int not in (select pid from pg_stat_activity)",
        (pattern, pattern),
    ).fetchall()
    for (name,) in rows:
        side.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(name)))
