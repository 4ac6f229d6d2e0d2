"""Event intake: the COPY-based store against row-by-row INSERT of the same statements.

Both write the same synthetic events into a fresh, migrated database on the embedded PostgreSQL (or
SKILLSTUDIO_DATABASE_URL), in one transaction each, best of three runs. Figures are events per second and
the ratio of the project's writer to the INSERT baseline measured in the same run. The last line is a JSON
object of the figures.

    .venv/bin/python -m benchmarks.event_intake --events 50000
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

from app_api.migrate import upgrade
from skillstudio.db import database_url, libpq_url
from skillstudio.events import EVENT_COLUMNS, EventRow, event_row, write_events


def make_events(count: int) -> list[EventRow]:
    start = datetime.now(UTC) - timedelta(days=1)
    actors = [uuid.uuid4() for _ in range(max(1, count // 50))]
    rows = []
    for number in range(count):
        actor = actors[number % len(actors)]
        at = start + timedelta(seconds=number)
        rows.append(
            event_row(occurred_at=at, actor_id=actor, verb="experienced", object_type="lesson",
                      object_id=f"lesson-{number % 400}", course_id=uuid.uuid4(), registration=uuid.uuid4(),
                      completion=True, duration_s=61.5, extensions={"source": "benchmark"})
        )  # fmt: skip
    return rows


def insert_row_by_row(conn: psycopg.Connection, rows: list[EventRow]) -> None:
    placeholders = ", ".join(["%s"] * len(EVENT_COLUMNS))
    with conn.cursor() as cursor:
        cursor.executemany(
            f"insert into learner_events ({', '.join(EVENT_COLUMNS)}) values ({placeholders}) "
            "on conflict do nothing",
            [row._replace(extensions=Jsonb(row.extensions)) for row in rows],
        )


def best_rate(
    url: str, rows: list[EventRow], write: Callable[[psycopg.Connection, list[EventRow]], object]
) -> float:
    best = 0.0
    for _ in range(3):
        with psycopg.connect(url) as conn:
            conn.execute("truncate learner_events")
            conn.commit()
            started = time.perf_counter()
            with conn.transaction():
                write(conn, rows)
            best = max(best, len(rows) / (time.perf_counter() - started))
            assert conn.execute("select count(*) from learner_events").fetchone() == (len(rows),)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()

    server = database_url()
    name = f"skillstudio_bench_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(make_url(server).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        rows = make_events(args.events)
        insert_eps = best_rate(libpq_url(url), rows, insert_row_by_row)
        copy_eps = best_rate(libpq_url(url), rows, write_events)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')

    print(f"events per run:            {args.events:,}")
    print(f"row-by-row INSERT:         {insert_eps:,.0f} events/s (baseline)")
    print(f"COPY store (write_events): {copy_eps:,.0f} events/s = {copy_eps / insert_eps:.1f}x baseline")
    figures = {
        "events": args.events,
        "insert_eps": round(insert_eps),
        "copy_eps": round(copy_eps),
        "copy_vs_insert": round(copy_eps / insert_eps, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
