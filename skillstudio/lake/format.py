"""How learner events look in the lake, and the checksum that proves a file holds a partition's data.

Columns are read from the database (``information_schema``), so a column added to ``learner_events``
later is archived without code changes. Each column has one *canonical text* per value, produced by SQL
in PostgreSQL and by Arrow compute from a Parquet file; the two must agree byte for byte:

=====================  ==========================  =================================================
PostgreSQL type        Parquet / Arrow type        canonical text
=====================  ==========================  =================================================
timestamp(tz)          timestamp[us] (UTC)         microseconds since the epoch
double / real          float64                     the IEEE-754 bits as a signed 64-bit integer
smallint/int/bigint    int16 / int32 / int64       the number
date                   date32                      days since the epoch
boolean                bool                        ``true`` / ``false``
anything else          string                      PostgreSQL's text output (uuid, text, jsonb…)
=====================  ==========================  =================================================

A row's hash is the MD5 of its fields, each written ``N`` for null or ``<byte length>:<text>``, so no two
rows can encode alike. The checksum is the sum of the first 64 bits of every row hash modulo 2**64: it
does not depend on row order, and two sets of rows can be combined by adding their checksums. Because it
is computed from values, not bytes, it proves the *data* round-tripped, whatever the Parquet encoding.
The export itself uses the canonical texts too (PostgreSQL ``COPY ... csv`` parsed by Arrow), so floats
and timestamps travel as exact integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

MODULUS = 2**64

_INTEGERS = {"smallint": pa.int16(), "integer": pa.int32(), "bigint": pa.int64()}
_TIMESTAMPS = {
    "timestamp with time zone": pa.timestamp("us", tz="UTC"),
    "timestamp without time zone": pa.timestamp("us"),
}
_FLOATS = {"double precision", "real"}


@dataclass(frozen=True)
class Column:
    """One column of ``learner_events`` and how it is archived."""

    name: str
    pg_type: str  # information_schema.columns.data_type

    @property
    def arrow_type(self) -> pa.DataType:
        if self.pg_type in _TIMESTAMPS:
            return _TIMESTAMPS[self.pg_type]
        if self.pg_type in _FLOATS:
            return pa.float64()
        if self.pg_type in _INTEGERS:
            return _INTEGERS[self.pg_type]
        if self.pg_type == "date":
            return pa.date32()
        if self.pg_type == "boolean":
            return pa.bool_()
        return pa.string()

    @property
    def canonical_sql(self) -> str:
        """SQL giving this column's canonical text (null stays null)."""
        name = f'"{self.name}"'
        if self.pg_type in _TIMESTAMPS:
            return f"(extract(epoch from {name}) * 1000000)::bigint::text"
        if self.pg_type in _FLOATS:
            return f"('x' || encode(float8send({name}::float8), 'hex'))::bit(64)::bigint::text"
        if self.pg_type == "date":
            return f"({name} - date '1970-01-01')::text"
        return f"{name}::text"

    @property
    def csv_type(self) -> pa.DataType:
        """The Arrow type its canonical text parses to in the export CSV."""
        if self.pg_type in _TIMESTAMPS or self.pg_type in _FLOATS:
            return pa.int64()
        if self.pg_type == "date":
            return pa.int32()
        return self.arrow_type


def event_columns(conn: psycopg.Connection) -> list[Column]:
    """The columns of ``learner_events`` in table order."""
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = current_schema() and table_name = 'learner_events' order by ordinal_position"
    ).fetchall()
    if not rows:
        raise RuntimeError("learner_events does not exist here; run `skillstudio migrate` first")
    return [Column(name, pg_type) for name, pg_type in rows]


def arrow_schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([pa.field(column.name, column.arrow_type) for column in columns])


def export_sql(columns: list[Column], source: str, where: str = "") -> str:
    """A query giving every column's canonical text, sorted by time (row groups then prune by date)."""
    select = ", ".join(column.canonical_sql for column in columns)
    return f"select {select} from {source} {where} order by occurred_at, event_id"


def _row_hash_sql(columns: list[Column]) -> str:
    fields = " || ".join(
        f"coalesce(octet_length({column.canonical_sql})::text || ':' || {column.canonical_sql}, 'N')"
        for column in columns
    )
    return f"('x' || left(md5({fields}), 16))::bit(64)::bigint"


@dataclass(frozen=True)
class Digest:
    """Row count and order-independent content checksum of a set of event rows."""

    row_count: int
    total: int  # sum of row hashes modulo 2**64

    @property
    def checksum(self) -> str:
        return f"{self.total:016x}"

    def __add__(self, other: Digest) -> Digest:
        return Digest(self.row_count + other.row_count, (self.total + other.total) % MODULUS)

    @classmethod
    def of(cls, row_count: int, checksum: str) -> Digest:
        return cls(row_count, int(checksum, 16))


EMPTY = Digest(0, 0)


def pg_digest(conn: psycopg.Connection, columns: list[Column], source: str, where: str = "") -> Digest:
    """Count and checksum of rows, computed by PostgreSQL from the stored values."""
    row = conn.execute(f"select count(*), coalesce(sum({_row_hash_sql(columns)}), 0) from {source} {where}")
    count, total = row.fetchone() or (0, 0)
    return Digest(int(count), int(total) % MODULUS)


def _canonical(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_timestamp(kind):
        text = pc.cast(pc.cast(array, pa.int64()), pa.string())
    elif pa.types.is_floating(kind):
        text = pc.cast(pc.cast(array, pa.float64()).view(pa.int64()), pa.string())
    elif pa.types.is_date32(kind):
        text = pc.cast(pc.cast(array, pa.int32()), pa.string())
    else:
        text = pc.cast(array, pa.string())
    encoded = pc.binary_join_element_wise(pc.cast(pc.binary_length(text), pa.string()), text, ":")
    return pc.if_else(pc.is_null(text), "N", encoded)


def batch_digest(batch: pa.RecordBatch) -> Digest:
    """Count and checksum of Arrow rows, computed from their values like :func:`pg_digest`."""
    if batch.num_rows == 0:
        return EMPTY
    fields = [_canonical(column) for column in batch.columns]
    rows = pc.cast(pc.binary_join_element_wise(*fields, ""), pa.binary())
    total = sum(int.from_bytes(hashlib.md5(row).digest()[:8], "big", signed=True) for row in rows.to_pylist())
    return Digest(batch.num_rows, total % MODULUS)


def parquet_digest(path: Path, batch_size: int = 65_536) -> Digest:
    """Re-read a Parquet file and digest what it holds."""
    digest = EMPTY
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        digest = digest + batch_digest(batch)
    return digest


def from_canonical(batch: pa.RecordBatch, columns: list[Column]) -> pa.RecordBatch:
    """Turn a batch parsed from the export CSV into the lake's Arrow types."""
    arrays = []
    for array, column in zip(batch.columns, columns, strict=True):
        if column.pg_type in _FLOATS:
            array = array.view(pa.float64())
        elif column.csv_type != column.arrow_type:
            array = pc.cast(array, column.arrow_type)
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(columns))


def csv_batches(path: Path, columns: list[Column]) -> Iterable[pa.RecordBatch]:
    """Stream a ``COPY ... (format csv)`` file of canonical texts as lake-typed batches."""
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(
            column_names=[column.name for column in columns], block_size=32 << 20
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={column.name: column.csv_type for column in columns},
            # COPY writes NULL unquoted and an empty string as "": keep them apart.
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["true"],
            false_values=["false"],
        ),
    )
    for batch in reader:
        yield from_canonical(batch, columns)


def copy_to_csv(conn: psycopg.Connection, query: str, path: Path) -> None:
    """Write a query's rows to a CSV file with COPY, streaming (a month never sits in memory)."""
    with path.open("wb") as sink, conn.cursor().copy(f"copy ({query}) to stdout (format csv)") as copy:
        for chunk in copy:
            sink.write(chunk)


def open_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, schema, compression="zstd", compression_level=3)


def write_batches(
    writer: pq.ParquetWriter, batches: Iterable[pa.RecordBatch], on_rows: Callable[[int], None]
) -> Digest:
    """Write batches and return the digest of what was handed to the writer."""
    digest = EMPTY
    for batch in batches:
        writer.write_batch(batch)
        digest = digest + batch_digest(batch)
        on_rows(batch.num_rows)
    return digest
