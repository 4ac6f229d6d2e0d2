"""write_events: a few rows go through one VALUES insert, more through COPY; both store the same thing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import psycopg
import pytest
from sqlalchemy.orm import Session

from skillstudio.db import driver_connection
from skillstudio.events import FEW_ROWS, ensure_month_partitions, write_events
from skillstudio.events.contract import EVENT_COLUMNS, EventRow
from tests.skillstudio.event_factory import month_events

MONTH = date(2026, 3, 1)


def stored(conn: psycopg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, ...]]:
    rows = conn.execute(
        f"select {', '.join(EVENT_COLUMNS)} from learner_events where event_id = any(%s)", (ids,)
    ).fetchall()
    return {row[0]: tuple(row) for row in rows}


# With the repeated last row: 4 and FEW_ROWS rows take the VALUES path, FEW_ROWS + 1 and more the COPY.
@pytest.mark.parametrize("count", [3, FEW_ROWS - 1, FEW_ROWS, 4 * FEW_ROWS], ids=lambda n: f"{n}-rows")
def test_new_rows_are_stored_whole_and_repeats_are_skipped(session: Session, count: int) -> None:
    conn = driver_connection(session)
    ensure_month_partitions(conn, MONTH, MONTH)
    actors = [uuid.UUID(int=number) for number in range(1, 4)]
    rows: list[EventRow] = month_events(MONTH, count, actors, seed=count)
    assert len(rows[0]) == len(EVENT_COLUMNS)
    first_half = rows[: count // 2 + 1]

    assert sorted(write_events(conn, first_half)) == sorted(row[0] for row in first_half)
    # The batch repeats itself and half of it is stored already: only the other half is new.
    batch = [*rows, rows[-1]]
    new = [row[0] for row in rows[len(first_half) :]]
    assert sorted(write_events(conn, iter(batch))) == sorted(new)
    assert write_events(conn, rows) == []

    assert stored(conn, [row[0] for row in rows]) == {row[0]: tuple(row) for row in rows}


def test_rows_of_different_lengths_are_refused(session: Session) -> None:
    conn = driver_connection(session)
    ensure_month_partitions(conn, MONTH, MONTH)
    rows = month_events(MONTH, 2, [uuid.UUID(int=1)])
    with pytest.raises(ValueError, match="same length"):
        write_events(conn, [rows[0], rows[1][:17]])
