"""The numpy bulk loader stores exactly what write_events stores, and replays add nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest

from skillstudio.db import libpq_url
from skillstudio.events.binary_copy import Categorical
from skillstudio.events.bulk_load import EventLoader, copy_events, copy_rows, foreign_keys_checked_once
from skillstudio.events.contract import EventRow
from skillstudio.events.store import write_events

COLUMNS = (
    "event_id", "occurred_at", "received_at", "actor_id", "verb", "object_type", "object_id", "course_id",
    "module_id", "registration", "attempt", "score_scaled", "success", "completion", "response", "duration_s",
    "extensions",
)  # fmt: skip
NAMESPACE = uuid.UUID("3a1f6a52-2b9e-4c39-9d56-7d1f2a9e4b10")
START = datetime(2026, 3, 31, 22, 59, 58, 123456, tzinfo=UTC)
RESPONSES = ("", "naïve café ☕", "日本語の答え", "quote ' and \\ backslash", None)
EXTENSIONS: tuple[dict[str, Any], ...] = (
    {},
    {"device": "tablet", "ünïcode": "✓", "nested": {"list": [1, 2.5, None, True], "empty": {}}},
    {"clicks": 3},
)


def sample_rows(count: int = 60, *, salt: str = "") -> list[EventRow]:
    """Events that use every column type, NULLs included, and cross from March into April."""
    actors = [uuid.uuid5(NAMESPACE, f"actor{salt}{n}") for n in range(4)]
    rows = []
    for n in range(count):
        at = START + timedelta(minutes=7 * n, microseconds=n)
        maybe = n % 3 != 0  # a third of the nullable values are NULL
        rows.append((
            uuid.uuid5(NAMESPACE, f"event{salt}{n}"), at, at + timedelta(seconds=n % 5), actors[n % 4],
            ("answered", "experienced", "completed")[n % 3], ("question", "lesson")[n % 2],
            f"objet-{n % 7}-ü" if n % 2 else f"question-{n}",
            uuid.uuid5(NAMESPACE, f"c{n % 2}") if maybe else None,
            uuid.uuid5(NAMESPACE, f"m{n % 3}") if n % 4 == 1 else None,
            uuid.uuid5(NAMESPACE, f"r{n % 5}") if maybe else None, n % 4 + 1 if maybe else None,
            (n % 11) / 10 if maybe else None, (n % 2 == 0) if maybe else None,
            (n % 5 == 0) if n % 2 else None,
            RESPONSES[n % len(RESPONSES)], 12.5 * n if maybe else None, EXTENSIONS[n % len(EXTENSIONS)],
        ))  # fmt: skip
    return rows


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def python_columns(rows: list[EventRow]) -> dict[str, Any]:
    """Columns as object arrays (the convenient, slower path)."""
    columns: dict[str, Any] = {name: _objects([row[i] for row in rows]) for i, name in enumerate(COLUMNS)}
    for name in ("occurred_at", "received_at"):
        columns[name] = np.array(
            [value.replace(tzinfo=None) for value in columns[name]], dtype="datetime64[us]"
        )
    return columns


def numpy_columns(rows: list[EventRow]) -> dict[str, Any]:
    """Columns as numpy arrays, masks and categoricals (the fast path the generator uses)."""
    column = {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}

    def uuids(values: list[uuid.UUID | None]) -> np.ma.MaskedArray:
        data = np.array([np.frombuffer((v or uuid.UUID(int=0)).bytes, dtype=np.uint8) for v in values])
        return np.ma.masked_array(data, mask=np.repeat([[v is None] for v in values], 16, axis=1))

    def masked(values: list[Any], dtype: Any) -> np.ma.MaskedArray:
        return np.ma.masked_array(
            [0 if v is None else v for v in values], mask=[v is None for v in values], dtype=dtype
        )

    def categorical(values: list[Any]) -> Categorical:
        categories = list(dict.fromkeys(map(repr, values)))
        by_repr = {repr(v): v for v in values}
        return Categorical(
            np.array([categories.index(repr(v)) for v in values]), [by_repr[r] for r in categories]
        )

    times = {name: python_columns(rows)[name] for name in ("occurred_at", "received_at")}
    responses = column["response"]
    return {
        "event_id": uuids(column["event_id"]).data, **times, "actor_id": categorical(column["actor_id"]),
        "verb": categorical(column["verb"]), "object_type": np.array(column["object_type"]),
        "object_id": np.array(column["object_id"]), "course_id": uuids(column["course_id"]),
        "module_id": uuids(column["module_id"]), "registration": uuids(column["registration"]),
        "attempt": masked(column["attempt"], np.int32), "score_scaled": masked(column["score_scaled"], float),
        "success": masked(column["success"], bool), "completion": masked(column["completion"], bool),
        "response": np.ma.masked_array([r or "" for r in responses], mask=[r is None for r in responses]),
        "duration_s": masked(column["duration_s"], float), "extensions": categorical(column["extensions"]),
    }  # fmt: skip


@pytest.fixture(scope="module")
def database(database_factory: Callable[[], str]) -> str:
    return libpq_url(database_factory())


@pytest.fixture
def conn(database: str) -> Iterator[psycopg.Connection]:
    """A connection whose work is rolled back after the test."""
    with psycopg.connect(database) as connection:
        yield connection
        connection.rollback()


def stored(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute("select * from learner_events order by event_id").fetchall()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "safe"])
@pytest.mark.parametrize("make_columns", [python_columns, numpy_columns], ids=["objects", "numpy"])
def test_stores_what_write_events_stores(
    conn: psycopg.Connection, make_columns: Callable[[list[EventRow]], dict[str, Any]], fast: bool
) -> None:
    rows = sample_rows()
    with conn.transaction(force_rollback=True):
        write_events(conn, rows)
        expected = stored(conn)
    assert copy_events(conn, make_columns(rows), fast=fast) == len(rows)
    assert stored(conn) == expected
    assert len(expected) == len(rows) and {row[1].month for row in expected} == {3, 4}
    # NULLs, unicode, the empty string and nested jsonb came through as values, not as text.
    by_id = {row[0]: row for row in expected}
    assert by_id[rows[1][0]][14] == "naïve café ☕" and by_id[rows[0][0]][14] == ""
    assert by_id[rows[4][0]][14] is None and by_id[rows[0][0]][7] is None
    assert by_id[rows[1][0]][16]["nested"] == {"list": [1, 2.5, None, True], "empty": {}}


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "safe"])
def test_replaying_adds_nothing_and_a_mixed_batch_adds_only_the_new(
    conn: psycopg.Connection, fast: bool
) -> None:
    rows = sample_rows()
    assert copy_events(conn, numpy_columns(rows), fast=fast) == 60
    assert copy_events(conn, numpy_columns(rows), fast=fast) == 0
    mixed = rows[:30] + sample_rows(20, salt="new")
    assert copy_events(conn, numpy_columns(mixed), fast=fast) == 20
    assert conn.execute("select count(*) from learner_events").fetchone() == (80,)


def test_an_event_repeated_within_one_stream_is_stored_once(conn: psycopg.Connection) -> None:
    rows = sample_rows()
    with EventLoader(conn, COLUMNS, first=date(2026, 3, 1), last=date(2026, 4, 30)) as loader:
        loader.write(numpy_columns(rows[:40]))
        loader.write(numpy_columns(rows[20:]))
    assert loader.sent == 80 and loader.stored == 60
    with conn.transaction(force_rollback=True):
        conn.execute("delete from learner_events")
        write_events(conn, rows)
        expected = stored(conn)
    assert stored(conn) == expected


def staging_tables(conn: psycopg.Connection) -> list[str]:
    """Staging tables of loads made by ``conn`` (other tests' rolled-back loads may have left theirs)."""
    rows = conn.execute(
        "select relname from pg_class where relname like %s order by 1",
        (f"le\\_load\\_{conn.info.backend_pid}\\_%",),
    ).fetchall()
    return [name for (name,) in rows]


def test_fast_path_leaves_partitions_as_ensure_creates_them(conn: psycopg.Connection) -> None:
    def indexes(partition: str) -> set[str]:
        found = conn.execute("select indexdef from pg_indexes where tablename = %s", (partition,)).fetchall()
        return {definition.replace(partition, "<partition>") for (definition,) in found}

    def constraints(partition: str) -> set[tuple[str, str]]:
        found = conn.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint where conrelid = %s::regclass",
            (partition,),
        ).fetchall()
        return {(name.replace(partition, "<partition>"), definition) for name, definition in found}

    conn.execute("select ensure_learner_event_partition('2026-07-01')")
    copy_events(conn, numpy_columns(sample_rows()), fast=True)
    reference = indexes("learner_events_2026_07")
    assert len(reference) == 2 and indexes("learner_events_2026_03") == reference == indexes(
        "learner_events_2026_04"
    )
    assert constraints("learner_events_2026_03") == constraints("learner_events_2026_07")
    attached = conn.execute(
        "select count(*) from pg_inherits where inhparent = 'learner_events'::regclass "
        "and inhrelid in ('learner_events_2026_03'::regclass, 'learner_events_2026_04'::regclass)"
    ).fetchone()
    assert attached == (2,) and staging_tables(conn) == []


def test_a_failed_load_stores_nothing_and_drops_its_staging_tables(conn: psycopg.Connection) -> None:
    with (
        pytest.raises(RuntimeError, match="simulated"),
        EventLoader(  # noqa: PT012 - fails mid-stream
            conn, COLUMNS, first=date(2026, 3, 1), last=date(2026, 4, 30)
        ) as loader,
    ):
        loader.write(numpy_columns(sample_rows()))
        assert len(staging_tables(conn)) == 4  # the routing table, its default partition, two months
        raise RuntimeError("simulated failure of the program feeding the loader")
    assert stored(conn) == [] and staging_tables(conn) == []
    assert copy_events(conn, numpy_columns(sample_rows()), fast=True) == 60  # partitions are usable


def test_staging_tables_of_a_dead_connection_are_dropped_by_the_next_load(
    conn: psycopg.Connection, database: str
) -> None:
    with psycopg.connect(database, autocommit=True) as dead:
        dead_pid = dead.info.backend_pid
        dead.execute(f"create table le_load_{dead_pid}_abcdef (event_id uuid)")
    copy_events(conn, numpy_columns(sample_rows()), fast=True)
    left = conn.execute("select to_regclass(%s)", (f"le_load_{dead_pid}_abcdef",)).fetchone()
    assert left == (None,)


def test_a_caller_holding_learner_events_locked_does_not_wait_for_the_staging(
    conn: psycopg.Connection,
) -> None:
    # Side connections never read learner_events: a caller's exclusive lock cannot make them wait.
    conn.execute("set local lock_timeout = '5s'")
    conn.execute("lock table learner_events in access exclusive mode")
    assert copy_events(conn, numpy_columns(sample_rows()), fast=True) == 60


def test_rows_outside_the_declared_days_are_stored_too(conn: psycopg.Connection) -> None:
    rows = sample_rows()
    with EventLoader(conn, COLUMNS, first=date(2026, 4, 1), last=date(2026, 4, 30)) as loader:
        loader.write(numpy_columns(rows))
    march = sum(row[1] < datetime(2026, 4, 1, tzinfo=UTC) for row in rows)
    assert loader.stored == 60 and march > 0
    assert conn.execute(
        "select count(*) from learner_events where occurred_at < '2026-04-01'"
    ).fetchone() == (march,)


def test_bad_columns_are_refused_with_a_reason(conn: psycopg.Connection) -> None:
    columns = numpy_columns(sample_rows(4))
    with pytest.raises(ValueError, match="same length"):
        copy_events(conn, {**columns, "attempt": np.ma.masked_array([1, 2, 3])})
    with pytest.raises(ValueError, match="unknown columns"):
        copy_events(conn, {**columns, "colour": np.array(["red"] * 4)})
    undated = columns["occurred_at"].copy()
    undated[1] = np.datetime64("NaT")
    with pytest.raises(ValueError, match="NaT"):
        copy_events(conn, {**columns, "occurred_at": undated})
    with pytest.raises(TypeError, match="datetime64"):
        copy_events(conn, {**columns, "received_at": np.arange(4)}, fast=False)


def test_foreign_keys_are_checked_once_at_the_end(conn: psycopg.Connection) -> None:
    def foreign_keys() -> list[tuple[str, ...]]:
        return conn.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint "
            "where contype = 'f' and conrelid = 'course_skills'::regclass order by conname"
        ).fetchall()

    before = foreign_keys()
    course, skill = uuid.uuid5(NAMESPACE, "course"), uuid.uuid5(NAMESPACE, "skill")
    conn.execute(
        "insert into courses (course_id, title, subject, level) values (%s, 'C', 'S', 'beginner')", (course,)
    )
    conn.execute("insert into skills (skill_id, slug, name) values (%s, 'bulk-skill', 'Bulk')", (skill,))
    with foreign_keys_checked_once(conn, ["course_skills"]):
        assert foreign_keys() == []
        copy_rows(conn, "course_skills", {"course_id": _objects([course]), "skill_id": _objects([skill])})
    assert foreign_keys() == before and len(before) == 2
    with (
        pytest.raises(psycopg.errors.ForeignKeyViolation),
        foreign_keys_checked_once(conn, ["course_skills"]),
    ):
        copy_rows(
            conn, "course_skills", {"course_id": _objects([uuid.uuid4()]), "skill_id": _objects([skill])}
        )
    assert foreign_keys() == before
    assert conn.execute("select count(*) from course_skills").fetchone() == (1,)
