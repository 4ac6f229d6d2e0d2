"""Generating and loading a synthetic history at scale, against raw binary COPY of the same events.

Three measurements in fresh, migrated databases on the embedded PostgreSQL (or SKILLSTUDIO_DATABASE_URL),
each dropped afterwards:

1. raw COPY: the generator's events, simulated and encoded in memory beforehand, sent by binary COPY into
   a bare partitioned table (the same columns and monthly partitions, no key, no index). This is the
   limit of the machine, the baseline of the ratios.
2. bulk loader: the same events as numpy columns through ``skillstudio.events.bulk_load.EventLoader`` into the
   empty ``learner_events`` (encoding, COPY, then index builds; primary key checked).
3. generate: ``skillstudio.sources.synthetic.generate`` end to end, as ``skillstudio generate`` runs it:
   simulation, events, users, enrollments, attempts and truth, commit included.

The machine is shared: the load average at the start is printed with the figures. The last line is a JSON
object of the figures.

    .venv/bin/python -m benchmarks.generate                      # ~10 million events
    .venv/bin/python -m benchmarks.generate --learners 20000     # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app_api.migrate import upgrade
from skillstudio.db import database_url, libpq_url
from skillstudio.events import SIGNATURE, TRAILER, EventLoader, column_types, encode
from skillstudio.sources.synthetic import (
    GENERATED_COLUMNS,
    GenerationProgress,
    GeneratorConfig,
    build_catalogue,
    first_day,
    generate,
    simulate_batches,
)


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new migrated database (libpq URL), dropped at the end."""
    name = f"skillstudio_bench_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(make_url(server).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield libpq_url(url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def raw_copy(url: str, config: GeneratorConfig, blocks: list[memoryview]) -> float:
    """Seconds to COPY pre-encoded rows into a bare partitioned table, commit included."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "create table bare_events (like learner_events including defaults) "
            "partition by range (occurred_at)"
        )
        month = first_day(config).replace(day=1)
        while month <= config.end_date:
            following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            conn.execute(
                sql.SQL("create table {} partition of bare_events for values from ({}) to ({})").format(
                    sql.Identifier(f"bare_events_{month:%Y_%m}"),
                    sql.Literal(datetime.combine(month, datetime.min.time(), UTC)),
                    sql.Literal(datetime.combine(following, datetime.min.time(), UTC)),
                )
            )
            month = following
        conn.commit()
        columns = sql.SQL(", ").join(map(sql.Identifier, GENERATED_COLUMNS))
        started = time.perf_counter()
        with conn.cursor().copy(
            sql.SQL("copy bare_events ({}) from stdin (format binary)").format(columns)
        ) as copy:
            copy.write(SIGNATURE)
            for block in blocks:
                copy.write(block)
            copy.write(TRAILER)
        conn.commit()
        return time.perf_counter() - started


def bulk_load(url: str, config: GeneratorConfig, batches: list[dict[str, Any]]) -> tuple[int, float]:
    """Events stored and seconds through the project's bulk loader, commit included."""
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with EventLoader(conn, GENERATED_COLUMNS, first=first_day(config), last=config.end_date) as loader:
            for columns in batches:
                loader.write(columns)
        conn.commit()
        return loader.stored, time.perf_counter() - started


def run_generate(url: str, config: GeneratorConfig) -> tuple[int, float, dict[str, float]]:
    """Events stored, seconds end to end, and when each stage began (seconds from the start)."""
    stages: dict[str, float] = {}
    started = time.perf_counter()

    def note(progress: GenerationProgress) -> None:
        stages.setdefault(progress.stage, time.perf_counter() - started)

    with psycopg.connect(url) as conn:
        counts = generate(conn, config, progress=note)
    return counts.events, time.perf_counter() - started, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=125_000)
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    config = GeneratorConfig(
        learners=args.learners,
        courses=args.courses,
        days=args.days,
        seed=args.seed,
        end_date=datetime.now(UTC).date(),
    )
    load = os.getloadavg()[0]
    server = database_url()

    print(f"simulating {config.learners:,} learners × {config.days} days in memory for the baselines...")
    catalogue = build_catalogue(config, first_day(config))
    batches = [batch.events for batch in simulate_batches(config, catalogue)]
    events = sum(len(columns["event_id"]) for columns in batches)
    with fresh_database(server) as url:
        with psycopg.connect(url) as conn:
            types = column_types(conn, "learner_events")
        blocks = [block for columns in batches for block in encode(types, columns)]
        raw_seconds = raw_copy(url, config, blocks)
        del blocks
        stored, bulk_seconds = bulk_load(url, config, batches)
    del batches
    assert stored == events, (stored, events)
    with fresh_database(server) as url:
        generated, generate_seconds, stages = run_generate(url, config)
    assert generated == events, (generated, events)

    raw_eps, bulk_eps, generate_eps = events / raw_seconds, events / bulk_seconds, events / generate_seconds
    print(f"events:                      {events:,} ({date.today()} end date, load average {load:.1f})")
    print(f"raw binary COPY (baseline):  {raw_eps:,.0f} events/s, {raw_seconds:.1f} s")
    print(f"bulk loader (EventLoader):   {bulk_eps:,.0f} events/s, {bulk_seconds:.1f} s = "
          f"{bulk_eps / raw_eps:.0%} of raw")  # fmt: skip
    print(f"generate, end to end:        {generate_eps:,.0f} events/s, {generate_seconds:.1f} s = "
          f"{generate_eps / raw_eps:.0%} of raw")  # fmt: skip
    for stage, at in stages.items():
        print(f"  {stage + ' from':<32} {at:6.1f} s")
    figures = {
        "events": events,
        "generate_seconds": round(generate_seconds, 1),
        "generate_eps": round(generate_eps),
        "bulk_seconds": round(bulk_seconds, 1),
        "bulk_eps": round(bulk_eps),
        "raw_copy_seconds": round(raw_seconds, 1),
        "raw_copy_eps": round(raw_eps),
        "bulk_vs_raw": round(bulk_eps / raw_eps, 3),
        "generate_vs_raw": round(generate_eps / raw_eps, 3),
        "load_average": round(load, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
