"""Small, awkward learner events for the partition, lake and erasure tests.

Values are chosen to break a careless archive: nulls next to empty strings, quotes, commas and newlines in
free text, non-ASCII, negative zero and tiny floats, nested JSON, microsecond timestamps at month edges.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg

from skillstudio.events import ensure_month_partitions, write_events
from skillstudio.events.contract import EventRow, event_row

RESPONSES = [None, "", 'said "hello, world"\nand left', "naïve café ☃", "a,b;c\\d"]
EXTENSIONS = [{}, {"https://skillstudio.dev/xapi/clicks": 3}, {"nested": {"a": [1, 2.5, None]}, "é": "ü"}]
SCORES = [None, 0.1, -0.0, 1.0, 1e-300, 0.7333333333333333]


def month_events(month: date, count: int, actors: list[uuid.UUID], seed: int = 0) -> list[EventRow]:
    """``count`` distinct events spread over ``month`` (the first and last microsecond included)."""
    rng = random.Random(f"{month}-{seed}")
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    span = int((end - start).total_seconds() * 1_000_000)
    offsets = [0, span - 1] + [rng.randrange(span) for _ in range(count - 2)]
    rows = []
    for number, offset in enumerate(offsets[:count]):
        rows.append(
            event_row(
                occurred_at=start + timedelta(microseconds=offset),
                actor_id=rng.choice(actors),
                verb=rng.choice(["experienced", "answered", "completed"]),
                object_type="lesson",
                object_id=f"lesson-{seed}-{number}",
                course_id=uuid.UUID(int=rng.randrange(3) + 1),
                registration=rng.choice([None, uuid.UUID(int=rng.getrandbits(128))]),
                attempt=rng.choice([None, 1, 2]),
                score_scaled=rng.choice(SCORES),
                success=rng.choice([None, True, False]),
                completion=rng.choice([None, True]),
                response=rng.choice(RESPONSES),
                duration_s=rng.choice([None, 0.0, 12.5, 3600.25]),
                extensions=rng.choice(EXTENSIONS),
            )
        )
    return rows


def write(conn: psycopg.Connection, rows: list[EventRow], *, partition: bool = True) -> int:
    """Store rows (creating their months' partitions unless ``partition`` is False); returns rows written."""
    with conn.transaction():
        if partition and rows:
            times = [row[1] for row in rows]
            ensure_month_partitions(conn, min(times).date(), max(times).date())
        return len(write_events(conn, rows))


def actors(count: int, seed: int = 1) -> list[uuid.UUID]:
    rng = random.Random(seed)
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]
