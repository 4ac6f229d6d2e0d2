"""Alembic owns the schema: it goes up and down cleanly and partitions learner_events by month."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import psycopg
import pytest

from app_api.migrate import downgrade, upgrade
from skillstudio.db import libpq_url
from skillstudio.events import ensure_month_partitions, write_events
from skillstudio.events.contract import Statement, statement_to_row


def tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("select tablename from pg_tables where schemaname = 'public'").fetchall()
    return {name for (name,) in rows}


def partitions(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select inhrelid::regclass::text from pg_inherits where inhparent = 'learner_events'::regclass"
    ).fetchall()
    return sorted(name for (name,) in rows)


def event_at(occurred_at: datetime) -> tuple:
    statement = Statement.model_validate(
        {
            "actor": {"id": str(uuid.uuid4())},
            "verb": "experienced",
            "object": {"id": "lesson-1", "type": "lesson"},
            "timestamp": occurred_at.isoformat(),
        }
    )
    return statement_to_row(statement, received_at=datetime.now(UTC))


@pytest.fixture
def conn(fresh_database: str) -> psycopg.Connection:
    with psycopg.connect(libpq_url(fresh_database), autocommit=True) as connection:
        yield connection


def test_downgrade_removes_everything_and_upgrade_restores_it(
    fresh_database: str, conn: psycopg.Connection
) -> None:
    expected = {"users", "courses", "lessons", "enrollments", "learner_events", "learner_events_default"}
    assert expected <= tables(conn)
    downgrade(fresh_database)
    assert tables(conn) == {"alembic_version"}
    upgrade(fresh_database)
    assert expected <= tables(conn)


def test_current_and_next_three_months_have_partitions(conn: psycopg.Connection) -> None:
    month = date.today().replace(day=1)
    names = partitions(conn)
    assert "learner_events_default" in names
    for _ in range(4):
        assert f"learner_events_{month:%Y_%m}" in names
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


def test_events_of_an_unpartitioned_month_move_out_of_default(conn: psycopg.Connection) -> None:
    march = event_at(datetime(2021, 3, 31, 23, 59, 59, tzinfo=UTC))
    with conn.transaction():
        write_events(conn, [march, event_at(datetime(2021, 4, 1, tzinfo=UTC))])
    assert conn.execute("select count(*) from learner_events_default").fetchone() == (2,)

    with conn.transaction():
        assert ensure_month_partitions(conn, date(2021, 3, 5), date(2021, 3, 5)) == ["learner_events_2021_03"]
    assert conn.execute("select count(*) from learner_events_2021_03").fetchone() == (1,)
    assert conn.execute("select occurred_at from learner_events_default").fetchone() == (
        datetime(2021, 4, 1, tzinfo=UTC),
    )
    assert conn.execute("select count(*) from learner_events").fetchone() == (2,)
    # Creating it again is a no-op, and replaying the moved event is still a duplicate.
    with conn.transaction():
        ensure_month_partitions(conn, date(2021, 3, 1), date(2021, 3, 31))
        assert write_events(conn, [march]) == []
    assert conn.execute("select count(*) from learner_events").fetchone() == (2,)
