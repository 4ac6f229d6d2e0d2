"""The analytics pipeline at scale: full build, one day's incremental refresh, and the analytics API's
latency, each next to one sequential scan of the events measured in the same run.

On a generated history (by default 125,000 learners, 300 courses, 365 days: about 10 million events) in a
fresh database on the embedded server (or SKILLSTUDIO_DATABASE_URL's server), dropped at the end:

1. **scan (baseline)**: ``select count(*), count(distinct actor_id) from learner_events``, once warm;
2. **full build**: ``dbt build --full-refresh`` of every model with its data tests, as the pipeline runs it;
3. **one new day**: the history's last day happens again a day later (its events copied with new ids, as a
   day of new activity arriving), then the refresh Dagster runs for that day's partition: ``dbt build``
   with ``refresh_from``/``refresh_to`` set to the day — every model, the daily ones incremental;
4. **analytics endpoints**: a server (uvicorn, 2 workers) on the built marts; for each endpoint
   ``--requests`` requests from ``--concurrency`` concurrent clients, after a warm-up; p50 and p95 latency.

Targets (issue 10) on this 2-core machine: full build <= 300 s, one day's refresh <= 30 s, every endpoint
p95 <= 200 ms. The machine is shared: the load average at the start is printed with the figures. The last
line is a JSON object of the figures.

    .venv/bin/python -m benchmarks.pipeline                       # ~10 million events, ~15 minutes
    .venv/bin/python -m benchmarks.pipeline --learners 20000      # a quicker look
    .venv/bin/python -m benchmarks.pipeline --database bench10m   # keep the database; reuse it next time

With ``--database NAME`` the history lives in database NAME on the same server and is kept: the first run
generates it, later runs find its events and skip the generation (minutes at 10 million events), so the
build and the refresh can be measured again after a change to the models. Each run adds its new day after
the last one held, so a kept history grows by a day per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app_api.migrate import upgrade
from benchmarks.generate import fresh_database
from benchmarks.ingest import free_port, running_server
from pipelines.analytics import build_arguments, dbt_resource
from skillstudio.db import database_url, libpq_url
from skillstudio.events import ensure_month_partitions
from skillstudio.sources.synthetic import GenerationProgress, GeneratorConfig, generate

SCAN = "select count(*), count(distinct actor_id) from learner_events"
TARGETS = {"full_build_s": 300.0, "incremental_day_s": 30.0, "endpoint_p95_ms": 200.0}


@contextmanager
def kept_database(server: str, name: str) -> Iterator[str]:
    """Database ``name`` on ``server`` (libpq URL), created and migrated if missing, and never dropped."""
    admin = libpq_url(make_url(server).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield libpq_url(url)


def held_events(url: str) -> int:
    """How many events the database already holds (0 for a new one)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from learner_events").fetchone()
        return int(row[0]) if row else 0


def scan_seconds(url: str) -> float:
    """The baseline: one sequential scan of the events, after one unmeasured run warms the cache."""
    with psycopg.connect(url) as conn:
        conn.execute(SCAN).fetchone()
        started = time.perf_counter()
        conn.execute(SCAN).fetchone()
        return time.perf_counter() - started


def dbt_build(url: str, workdir: Path, *args: str, window: dict[str, str] | None = None) -> float:
    """Seconds for ``dbt build`` with ``args`` over ``window``; raises with dbt's output when a node fails."""
    started = time.perf_counter()
    invocation = dbt_resource(url, workdir / "profiles").cli(
        ["build", "--quiet", *args], raise_on_error=False, target_path=workdir / "target", window=window
    )
    output = "\n".join(str(event) for event in invocation.stream_raw_events())
    seconds = time.perf_counter() - started
    if invocation.process.returncode != 0:
        raise RuntimeError(f"dbt build {' '.join(args)} failed:\n{output[-5000:]}")
    return seconds


def slowest_nodes(workdir: Path, count: int = 8) -> list[tuple[str, float]]:
    """The last dbt invocation's slowest nodes (models and tests), from its run_results.json."""
    results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
    timed = [(result["unique_id"].split(".", 2)[-1], float(result["execution_time"])) for result in results]
    return sorted(timed, key=lambda node: node[1], reverse=True)[:count]


def assign_instructors(url: str, count: int) -> None:
    """The generator makes learners only: ``count`` instructors teach its courses, in turn."""
    with psycopg.connect(url) as conn:
        instructors = [uuid.uuid4() for _ in range(count)]
        conn.cursor().executemany(
            "insert into users (user_id, email, display_name, role, created_at) "
            "values (%s, %s, %s, 'instructor', now())",
            [(user_id, f"{user_id}@staff.test", f"Instructor {n}") for n, user_id in enumerate(instructors)],
        )
        courses = [
            course_id for (course_id,) in conn.execute("select course_id from courses order by course_id")
        ]
        conn.cursor().executemany(
            "update courses set instructor_id = %s where course_id = %s",
            [(instructors[n % count], course_id) for n, course_id in enumerate(courses)],
        )
        conn.commit()


def repeat_last_day(url: str) -> tuple[date, int]:
    """Copy the history's last day of events to the day after, with new ids; return that day and count."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select max(occurred_at)::date from learner_events").fetchone()
        assert row is not None and row[0] is not None, "the history has no events"
        last: date = row[0]
        columns = [
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns "
                "where table_name = 'learner_events' and table_schema = 'public' order by ordinal_position"
            )
        ]
        shifted = {
            "event_id": "gen_random_uuid()",
            "occurred_at": "occurred_at + interval '1 day'",
            "received_at": "received_at + interval '1 day'",
        }
        selected = ", ".join(shifted.get(name, name) for name in columns)
        new_day = last + timedelta(days=1)
        # The new day's month partition may not exist yet (when the history ends on a month's last day).
        ensure_month_partitions(conn, new_day, new_day)
        inserted = conn.execute(
            f"insert into learner_events ({', '.join(columns)}) "  # noqa: S608 - names from the catalogue
            f"select {selected} from learner_events "
            "where occurred_at >= %s and occurred_at < %s",
            (
                datetime.combine(last, datetime.min.time(), UTC),
                datetime.combine(new_day, datetime.min.time(), UTC),
            ),
        ).rowcount
        conn.commit()
    return new_day, inserted


def endpoints(url: str) -> dict[str, str]:
    """The analytics API's reads, each on real ids: name -> path."""
    with psycopg.connect(url) as conn:
        course = conn.execute(
            "select course_id from analytics.fct_course_summary where course_run_id is null "
            "order by enrollments desc limit 1"
        ).fetchone()
        learner = conn.execute(
            "select learner_id from analytics.fct_learner_daily group by learner_id "
            "order by count(*) desc limit 1"
        ).fetchone()
        instructor = conn.execute(
            "select instructor_id from analytics.fct_instructor_summary order by learners desc limit 1"
        ).fetchone()
        days = conn.execute(
            "select min(activity_date), max(activity_date) from analytics.fct_platform_daily"
        ).fetchone()
    assert course and learner and instructor and days, "the marts are empty"
    first, end = days
    quarter = f"from={max(first, end - timedelta(days=89))}&to={end}"
    year = f"from={max(first, end - timedelta(days=364))}&to={end}"
    base = "/api/v1/analytics"
    return {
        "platform_30d_day": f"{base}/platform",
        "platform_year_week": f"{base}/platform?{year}&granularity=week",
        "courses": f"{base}/courses?limit=50",
        "course_90d": f"{base}/courses/{course[0]}?{quarter}",
        "course_funnel": f"{base}/courses/{course[0]}/funnel?limit=100",
        "course_questions": f"{base}/courses/{course[0]}/questions?limit=50",
        "instructor": f"{base}/instructors/{instructor[0]}",
        "instructor_courses": f"{base}/instructors/{instructor[0]}/courses?limit=50",
        "learner_year_month": f"{base}/learners/{learner[0]}?{year}&granularity=month",
    }


async def latencies(
    base: str, headers: dict[str, str], path: str, *, requests: int, concurrency: int
) -> list[float]:
    """Milliseconds per request, ``requests`` in all from ``concurrency`` clients; each must answer 200."""
    times: list[float] = []
    remaining = iter(range(requests))

    async def client(session: httpx.AsyncClient) -> None:
        for _ in remaining:
            started = time.perf_counter()
            response = await session.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as session:
        for _ in range(5):  # warm-up: connections, caches, the workers' first imports
            await session.get(path)
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    return times


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=125_000)
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--database",
        help="keep the history in this database and reuse it when it holds events (skips the generation)",
    )
    args = parser.parse_args()
    config = GeneratorConfig(
        learners=args.learners,
        courses=args.courses,
        days=args.days,
        seed=args.seed,
        end_date=datetime.now(UTC).date() - timedelta(days=2),
    )
    load = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="skillstudio-pipeline-"))
    server = database_url()
    with kept_database(server, args.database) if args.database else fresh_database(server) as url:
        events = held_events(url)
        if events:
            print(f"reusing database {args.database}: {events:,} events", flush=True)
        else:
            print(f"generating {config.learners:,} learners × {config.days} days...", flush=True)
            seen: set[str] = set()

            def note(progress: GenerationProgress) -> None:
                if progress.stage not in seen:
                    seen.add(progress.stage)
                    print(f"  {progress.stage}", flush=True)

            with psycopg.connect(url) as conn:
                events = generate(conn, config, progress=note).events
                conn.commit()
            assign_instructors(url, max(1, args.courses // 10))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("vacuum analyze")

        scan_s = scan_seconds(url)
        print(f"events: {events:,}; scan (baseline): {scan_s:.1f} s", flush=True)

        print("full build (dbt build --full-refresh)...", flush=True)
        full_build_s = dbt_build(url, workdir, "--full-refresh")
        print(f"full build: {full_build_s:.1f} s = {full_build_s / scan_s:.1f} scans", flush=True)

        day, added = repeat_last_day(url)
        window = {"refresh_from": str(day), "refresh_to": str(day)}
        arguments = build_arguments(window)
        print(
            f"one new day ({day}, {added:,} events): dbt {' '.join(arguments)}, window {window}...",
            flush=True,
        )
        incremental_day_s = dbt_build(url, workdir, *arguments[1:], window=window)
        for node, seconds in slowest_nodes(workdir):
            print(f"  {seconds:6.1f} s  {node}", flush=True)
        print(
            f"one day's refresh: {incremental_day_s:.1f} s = {incremental_day_s / scan_s:.1f} scans",
            flush=True,
        )

        p50: dict[str, float] = {}
        p95: dict[str, float] = {}
        paths = endpoints(url)
        with running_server(url, free_port()) as (base, headers):
            for name, path in paths.items():
                times = asyncio.run(
                    latencies(base, headers, path, requests=args.requests, concurrency=args.concurrency)
                )
                p50[name], p95[name] = round(percentile(times, 50), 1), round(percentile(times, 95), 1)
                print(f"  {name:<22} p50 {p50[name]:6.1f} ms  p95 {p95[name]:6.1f} ms  "
                      f"(p95 = {p95[name] / 1000 / scan_s:.3f} scans)", flush=True)  # fmt: skip

    worst = max(p95.values())
    print(f"events:                 {events:,} (load average {load:.1f} at the start)")
    print(f"scan (baseline):        {scan_s:.1f} s")
    for key, value, unit in (
        ("full_build_s", full_build_s, "s"),
        ("incremental_day_s", incremental_day_s, "s"),
        ("endpoint_p95_ms", worst, "ms"),
    ):
        seconds = value / 1000 if unit == "ms" else value
        verdict = "meets" if value <= TARGETS[key] else "MISSES"
        print(
            f"{key:<23} {value:8.1f} {unit} = {seconds / scan_s:6.2f} scans; "
            f"target <= {TARGETS[key]:.0f} {unit}: {verdict}"
        )
    figures: dict[str, Any] = {
        "events": events,
        "scan_s": round(scan_s, 2),
        "full_build_s": round(full_build_s, 1),
        "full_build_vs_scan": round(full_build_s / scan_s, 2),
        "incremental_day_s": round(incremental_day_s, 1),
        "incremental_day_vs_scan": round(incremental_day_s / scan_s, 2),
        "endpoint_p50_ms": p50,
        "endpoint_p95_ms": p95,
        "endpoint_p95_worst_vs_scan": round(worst / 1000 / scan_s, 4),
        "load_average": round(load, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
