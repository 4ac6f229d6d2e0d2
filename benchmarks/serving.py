"""Serving speed: the recommendations route next to a bare FastAPI route returning the same JSON.

Both servers run the same way (uvicorn, 2 workers) and get the same load from the same client in the same
run: wrk (2 threads, 32 connections) when it is installed, else a Python keep-alive client with 32
connections (printed as such — it is slower than wrk, so its figures are lower for both routes). Then the
recommendations route at a fixed 200 requests/s (open loop, p99), and the search and next-step routes the
same way when the server has them ("not available" otherwise). The recommendations route is also measured
with its answer cache off, so the figure without caching is in the same run.

Targets (issue 13, point 8): recommendations >= 0.5 of the bare route's requests/s at 32 connections;
p99 <= 15 ms at 200 requests/s. The last line is a JSON object of the figures.

    .venv/bin/python -m benchmarks.serving --learners 2000 --courses 200
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psycopg
from fastapi import FastAPI

from benchmarks.ingest import KeepAliveConnection, free_port, running_server, scratch_database
from models.recommender import train_course_recommender
from skillstudio.db import libpq_url

CONNECTIONS = 32
FIXED_RATE = 200.0
P99_TARGET_MS = 15.0
WORKERS = 2  # uvicorn workers of each server (benchmarks.ingest.running_server's default)
BARE_BODY_ENV = "SKILLSTUDIO_BENCH_BARE_BODY"


def bare_app() -> FastAPI:
    """The baseline: a FastAPI route answering the recorded JSON of a recommendations page, nothing else."""
    body = json.loads(Path(os.environ[BARE_BODY_ENV]).read_text())
    app = FastAPI()

    @app.get("/bare/{learner_id}")
    async def bare(learner_id: str) -> dict[str, object]:
        return body

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@contextmanager
def bare_server(body: bytes, port: int, workers: int = 2) -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="skillstudio-bare-")
    path = Path(folder) / "body.json"
    path.write_bytes(body)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.serving:bare_app", "--factory",
         "--workers", str(workers), "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, BARE_BODY_ENV: str(path)},
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(900):  # ~3 minutes: a busy machine takes long to import the app in each worker
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the bare server did not start")
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def seed(url: str, *, learners: int, courses: int, seed: int = 7) -> tuple[list[str], pd.DataFrame]:
    """Courses in 10 subjects; each learner took 4 courses of one subject and is enrolled in the first 3."""
    rng = np.random.default_rng(seed)
    course_ids = [uuid.UUID(int=int(rng.integers(1, 2**62)) << 64 | index) for index in range(courses)]
    learner_ids = [uuid.UUID(int=int(rng.integers(1, 2**62)) << 64 | index) for index in range(learners)]
    start = datetime.now(UTC) - timedelta(days=60)
    interactions, enrollments = [], []
    for learner in learner_ids:
        subject = int(rng.integers(0, 10))
        own = [course_ids[i] for i in range(subject, courses, 10)]
        for step, course in enumerate(rng.choice(len(own), size=min(4, len(own)), replace=False)):
            interactions.append((str(learner), str(own[course]), 3 + step, start + timedelta(days=step)))
            if step < 3:
                enrollments.append((uuid.uuid4(), learner, own[course], start + timedelta(days=step)))
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cursor:
        with cursor.copy("copy courses (course_id, title, subject, level, status) from stdin") as copy:
            for index, course in enumerate(course_ids):
                copy.write_row((course, f"Course {index}", f"subject {index % 10}", "beginner", "published"))
        with cursor.copy("copy users (user_id, email, display_name) from stdin") as copy:
            for learner in learner_ids:
                copy.write_row((learner, f"{learner}@example.test", "Learner"))
        with cursor.copy(
            "copy enrollments (enrollment_id, user_id, course_id, enrolled_at) from stdin"
        ) as copy:
            for row in enrollments:
                copy.write_row(row)
    frame = pd.DataFrame(interactions, columns=["learner_id", "course_id", "event_count", "first_at"])
    return [str(learner) for learner in learner_ids], frame


@dataclass
class Load:
    rps: float
    p99_ms: float
    failed: int
    tool: str


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(base: str, paths: list[str], headers: dict[str, str], seconds: float) -> Load:
    """wrk, 2 threads, 32 connections, each request a random path of ``paths``."""
    header_lua = ", ".join(f'["{name}"] = "{value}"' for name, value in headers.items())
    script = "\n".join([
        "local paths = {" + ", ".join(f'"{path}"' for path in paths) + "}",
        f"local headers = {{{header_lua}}}",
        "request = function() return wrk.format('GET', paths[math.random(#paths)], headers) end",
    ])  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency", "-s", handle.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(handle.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(rps, float(value) * _UNITS[unit], int(errors.group(1)) if errors else 0, "wrk")


def get_request(base: str, path: str, headers: dict[str, str]) -> bytes:
    host = base.removeprefix("http://")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def python_load(base: str, paths: list[str], headers: dict[str, str], seconds: float) -> Load:
    """The fallback without wrk: 32 keep-alive connections sending as fast as answers come back."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    requests = [get_request(base, path, headers) for path in paths]
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + seconds

    async def connection_loop(seed: int) -> None:
        nonlocal failed
        chooser = random.Random(seed)
        connection = await KeepAliveConnection.open(host, int(port))
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            status, _ = await connection.send(chooser.choice(requests))
            latencies.append(time.perf_counter() - sent)
            failed += status != 200
        connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection_loop(number) for number in range(CONNECTIONS)))
    elapsed = time.perf_counter() - began
    return Load(len(latencies) / elapsed, float(np.percentile(latencies, 99)) * 1000, failed, "python")


def closed_loop(base: str, paths: list[str], headers: dict[str, str], seconds: float) -> Load:
    if shutil.which("wrk"):
        return wrk_load(base, paths, headers, seconds)
    return asyncio.run(python_load(base, paths, headers, seconds))


def warm_up(base: str, paths: list[str], headers: dict[str, str], *, answers: int, limit: float = 90) -> None:
    """Load for 3 s, and on until about ``answers`` requests were answered (``limit`` seconds at most).

    Each worker caches the pages it ranked, so the measured load should meet caches that have seen every
    learner, as a server in use has; at 3 s alone, a slow or busy machine measured the first ranking of
    most pages instead (2,000 learners, 2 workers: about 20,000 random requests reach ~99% of the pairs)."""
    answered = 0.0
    began = time.perf_counter()
    while answered < answers and time.perf_counter() - began < limit:
        answered += closed_loop(base, paths, headers, 3).rps * 3


async def fixed_rate(
    base: str, paths: list[str], headers: dict[str, str], *, rate: float, seconds: float
) -> tuple[float, float, int]:
    """Open loop at ``rate``: latency counted from when each request was due. Returns p95, p99 ms, failed."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    chooser = random.Random(1)
    requests = [get_request(base, chooser.choice(paths), headers) for _ in range(int(rate * seconds))]
    idle: list[KeepAliveConnection] = []
    opened: list[KeepAliveConnection] = []
    latencies: list[float] = []
    failed = 0

    async def send(request: bytes, due: float) -> None:
        nonlocal failed
        connection = idle.pop() if idle else await KeepAliveConnection.open(host, int(port))
        if connection not in opened:
            opened.append(connection)
        status, _ = await connection.send(request)
        idle.append(connection)
        latencies.append(time.perf_counter() - due)
        failed += status != 200

    gc.collect()
    gc.disable()  # a collection here would stall the sender and show as server latency
    tasks = []
    began = time.perf_counter()
    for number, request in enumerate(requests):
        due = began + number / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(request, due)))
    await asyncio.gather(*tasks)
    gc.enable()
    for connection in opened:
        connection.close()
    return float(np.percentile(latencies, 95)) * 1000, float(np.percentile(latencies, 99)) * 1000, failed


def optional_route(
    base: str, headers: dict[str, str], name: str, paths: list[str], seconds: float
) -> float | None:
    """p95 at the fixed rate when the route answers 200, else None (printed as not available)."""
    probe = httpx.get(base + paths[0], headers=headers, timeout=30)
    if probe.status_code != 200:
        print(f"{name}: not available (GET {paths[0].split('?')[0]} answered {probe.status_code})")
        return None
    p95, p99, failed = asyncio.run(fixed_rate(base, paths, headers, rate=FIXED_RATE, seconds=seconds))
    print(f"{name} at {FIXED_RATE:.0f} req/s: p95 {p95:.1f} ms, p99 {p99:.1f} ms, {failed} failed")
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=2_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measured load")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "python":
        print("wrk is not installed: falling back to the Python keep-alive client (lower figures for both)")
    home = tempfile.mkdtemp(prefix="skillstudio-serving-")
    figures: dict[str, object] = {"tool": tool, "learners": args.learners, "courses": args.courses}
    with scratch_database() as url:
        learners, interactions = seed(url, learners=args.learners, courses=args.courses)
        tracking = f"sqlite:///{home}/mlflow.db"
        train_course_recommender(interactions, tracking_uri=tracking)
        os.environ["SKILLSTUDIO_MLFLOW_TRACKING_URI"] = tracking
        with psycopg.connect(libpq_url(url)) as conn:
            enrollment_ids = [
                str(row[0]) for row in conn.execute("select enrollment_id from enrollments limit 500")
            ]
        paths = [f"/api/v1/learners/{learner}/recommendations?k=10" for learner in learners]

        with running_server(url, free_port()) as (base, headers):
            first = httpx.get(base + paths[0], headers=headers, timeout=60)
            first.raise_for_status()
            body = first.content
            # Warm-up: model loaded, pools open, each worker's pages ranked once.
            warm_up(base, paths, headers, answers=5 * WORKERS * len(paths))
            recs = closed_loop(base, paths, headers, args.seconds)
            p95, p99, failed = asyncio.run(
                fixed_rate(base, paths, headers, rate=FIXED_RATE, seconds=args.seconds)
            )
            search_paths = [f"/api/v1/search?q={word}" for word in ("course", "subject", "python", "sql")]
            search = optional_route(base, headers, "search", search_paths, args.seconds)
            next_paths = [f"/api/v1/enrollments/{enrollment}/next" for enrollment in enrollment_ids]
            next_step = optional_route(base, headers, "next step", next_paths, args.seconds)

        with bare_server(body, free_port()) as bare_base:
            bare_paths = [f"/bare/{learner}" for learner in learners]
            closed_loop(bare_base, bare_paths, {}, 3)
            bare = closed_loop(bare_base, bare_paths, {}, args.seconds)

        os.environ["SKILLSTUDIO_RECOMMENDATION_CACHE_SECONDS"] = "0"
        with running_server(url, free_port()) as (base, headers):
            closed_loop(base, paths, headers, 3)
            uncached = closed_loop(base, paths, headers, args.seconds)
    shutil.rmtree(home, ignore_errors=True)

    print(f"load: {tool}, {CONNECTIONS} connections, {args.seconds:.0f} s per route, "
          f"{args.learners:,} learners chosen at random, {args.courses} courses")  # fmt: skip
    print(f"bare FastAPI route, same JSON:  {bare.rps:8,.0f} req/s  p99 {bare.p99_ms:6.1f} ms (baseline)")
    print(f"recommendations (cached 10 s):  {recs.rps:8,.0f} req/s  p99 {recs.p99_ms:6.1f} ms "
          f"= {recs.rps / bare.rps:.2f} of bare   target >= 0.5, {recs.failed} failed")  # fmt: skip
    print(f"recommendations, cache off:     {uncached.rps:8,.0f} req/s  p99 {uncached.p99_ms:6.1f} ms "
          f"= {uncached.rps / bare.rps:.2f} of bare")  # fmt: skip
    print(f"recommendations at a fixed {FIXED_RATE:.0f} req/s: p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
          f"{failed} failed   target p99 <= {P99_TARGET_MS:.0f} ms")  # fmt: skip
    figures.update(
        bare_rps=round(bare.rps),
        bare_p99_ms=round(bare.p99_ms, 2),
        recs_rps=round(recs.rps),
        recs_p99_ms=round(recs.p99_ms, 2),
        recs_vs_bare=round(recs.rps / bare.rps, 3),
        recs_uncached_rps=round(uncached.rps),
        recs_uncached_vs_bare=round(uncached.rps / bare.rps, 3),
        recs_p95_ms_at_200=round(p95, 2),
        recs_p99_ms_at_200=round(p99, 2),
        recs_failed=recs.failed + failed,
        search_p95_ms=None if search is None else round(search, 2),
        next_p95_ms=None if next_step is None else round(next_step, 2),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
