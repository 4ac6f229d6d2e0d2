"""Search route latency at 10,000 courses, next to a bare FastAPI route returning the same JSON.

A fresh, migrated database on the embedded PostgreSQL (or SKILLSTUDIO_DATABASE_URL) gets ``--courses``
published courses with generated titles and descriptions (a Zipf-like vocabulary, so common words match
thousands of courses as in a real catalogue) and their embeddings (the real model encodes a few hundred
distinct pages; each course gets one of those vectors plus noise, which changes nothing in the cost of an
exact scan). The real app (``create_app``) and a bare app with one route returning a canned answer of
the same shape and size run in two uvicorn processes; the same client sends each the same open-loop load
(``--rate`` requests/s for ``--seconds``, every query distinct, so the query-vector cache never hits)
and records each request's latency. The machine is shared: the load average is printed with the figures.
The last line is a JSON object of the figures.

    .venv/bin/python -m benchmarks.search                    # 10,000 courses, 10 requests/s for 15 s
    .venv/bin/python -m benchmarks.search --courses 2000 --rate 20 --seconds 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import psycopg
from sqlalchemy.engine import make_url

from app_api.migrate import upgrade
from models.search import CourseText, SentenceEncoder, course_document
from skillstudio.db import database_url, libpq_url

SUBJECTS = [
    "Computer Science", "Business & Management", "Data Analysis & Statistics", "Humanities", "Engineering",
    "Language", "Biology & Life Sciences", "Art & Culture", "Economics & Finance",
]  # fmt: skip
LEVELS = ["beginner", "intermediate", "advanced"]
TOPICS = str.split(
    "python programming data analysis statistics machine learning web development databases sql cloud "
    "security networks algorithms marketing finance accounting leadership negotiation writing history "
    "philosophy ethics biology genetics chemistry physics energy climate design music drawing spanish "
    "french chinese grammar nutrition health psychology sociology law economics management strategy"
)
FILLER = str.split(
    "learn understand build practice explore apply introduction foundations advanced skills projects "
    "methods tools theory examples course students real world cases professional modern essential"
)
DISTINCT_PAGES = 300


def _zipf_choice(rng: random.Random, words: list[str]) -> str:
    # Weight 1/rank: the first topics are common, the last rare, like words in a real catalogue.
    return rng.choices(words, weights=[1 / (rank + 1) for rank in range(len(words))])[0]


def make_courses(count: int, rng: random.Random) -> list[tuple[uuid.UUID, CourseText]]:
    """Courses about one or two topics each; their descriptions mostly say so, with some other topics."""
    courses = []
    for _ in range(count):
        topics = [_zipf_choice(rng, TOPICS), _zipf_choice(rng, TOPICS)]
        title = f"{rng.choice(FILLER).title()} {topics[0]} and {topics[1]}"
        words = []
        for _ in range(40):
            draw = rng.random()
            words.append(
                rng.choice(FILLER)
                if draw < 0.7
                else rng.choice(topics)
                if draw < 0.9
                else _zipf_choice(rng, TOPICS)
            )
        text = CourseText(title, rng.choice(SUBJECTS), rng.choice(LEVELS), " ".join(words))
        courses.append((uuid.uuid4(), text))
    return courses


def load(url: str, courses: list[tuple[uuid.UUID, CourseText]], encoder: SentenceEncoder, seed: int) -> None:
    pages = encoder.encode_documents([course_document(text) for _, text in courses[:DISTINCT_PAGES]])
    noise = np.random.default_rng(seed).normal(0, 0.02, size=(len(courses), pages.shape[1]))
    vectors = pages[np.arange(len(courses)) % len(pages)] + noise.astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with psycopg.connect(libpq_url(url)) as conn:
        with conn.cursor().copy(
            "copy courses (course_id, title, subject, level, description, status) from stdin"
        ) as copy:
            for course_id, text in courses:
                copy.write_row(
                    (course_id, text.title, text.subject, text.level, text.description, "published")
                )
        with conn.cursor().copy(
            "copy course_embeddings (course_id, model, content_hash, embedding) from stdin"
        ) as copy:
            for (course_id, _), vector in zip(courses, vectors, strict=True):
                literal = "[" + ",".join(f"{value:.7g}" for value in vector) + "]"
                copy.write_row((course_id, encoder.name, "benchmark", literal))
        conn.execute("analyze courses")
        conn.execute("analyze course_embeddings")


def search_app():  # type: ignore[no-untyped-def]
    """The real app on the benchmark's database (uvicorn factory)."""
    from skillstudio.main.app import create_app
    from skillstudio.settings import Settings

    return create_app(Settings(database_url=os.environ["SEARCH_BENCH_DATABASE_URL"]))


def bare_app():  # type: ignore[no-untyped-def]
    """One route returning a canned search answer of the same shape and size."""
    from fastapi import FastAPI

    app = FastAPI()
    answer = json.loads(os.environ["SEARCH_BENCH_ANSWER"])

    @app.get("/api/v1/search")
    def search(q: str) -> dict:
        return answer

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(factory: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port),
         "--log-level", "warning"],
        env={**os.environ, **env, "PYTHONPATH": str(root)}, cwd=root,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"{base}/api/v1/search", params={"q": "warm up python"}, timeout=60).status_code
                == 200
            ):
                return process, base
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{factory} did not answer within two minutes")


def open_loop(base: str, queries: list[str], rate: float, seconds: float) -> list[float]:
    """Send ``rate`` requests per second for ``seconds`` whatever the answers' pace; latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def one(query: str) -> None:
        client = getattr(local, "client", None) or httpx.Client(base_url=base, timeout=30)
        local.client = client
        started = time.perf_counter()
        response = client.get("/api/v1/search", params={"q": query})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text
        with lock:
            latencies.append(elapsed)

    total = int(rate * seconds)
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.perf_counter()
        for number in range(total):
            delay = start + number / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, queries[number % len(queries)])
    return latencies


def profile(url: str, queries: list[str]) -> dict[str, dict[str, float]]:
    """Where one query's time goes, in this process, one query at a time: p50 / p95 of each step (ms).

    The steps of ``hybrid_search`` run one after another here (the route overlaps the first two):
    encoding a query never seen (no cache), the full-text statement, the meaning statement (pgvector scan,
    filters, feedback re-ranking), and the fusion (in Python: the hits' details come with the rows).
    """
    from sqlalchemy import create_engine, text

    from serving.search import engine as search

    encoder = SentenceEncoder()
    index = search.VectorIndex()
    steps: dict[str, list[float]] = {"encode": [], "full_text": [], "meaning": [], "fusion": []}
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            search.hybrid_search(connection, encoder=encoder, index=index, query="warm up")
            pgvector = (index.column_type(connection) or "").startswith("vector")
            where, params = search._filter_sql(search.SearchFilters())
            keyword_sql = text(f"with {search._keyword_cte(where)} {search._KEYWORD_ROWS}")
            for query in queries:
                params |= {"tsquery": search.keyword_query(query), "depth": search.DEPTH,
                           "feedback_docs": search.FEEDBACK_DOCS}  # fmt: skip
                started = time.perf_counter()
                vector = search._ENCODING.submit(encoder.encode_query, query).result()  # as the route
                encoded = time.perf_counter()
                keyword_rows = connection.execute(keyword_sql, params).all()
                worded = time.perf_counter()
                semantic_rows = search._semantic(
                    connection, index, vector, where, params, pgvector=pgvector, exhaustive=False
                )
                meant = time.perf_counter()
                search._fuse([*semantic_rows, *keyword_rows], 10)
                fused = time.perf_counter()
                for step, begin, end in (
                    ("encode", started, encoded), ("full_text", encoded, worded),
                    ("meaning", worded, meant), ("fusion", meant, fused),
                ):  # fmt: skip
                    steps[step].append((end - begin) * 1000)
    finally:
        engine.dispose()
    return {
        step: {"p50": round(percentile(values, 0.5), 1), "p95": round(percentile(values, 0.95), 1)}
        for step, values in steps.items()
    }


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(np.array(values), share * 100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--profile", type=int, default=100, metavar="N",
        help="time each step of N more distinct queries in this process first (0: skip)",
    )  # fmt: skip
    args = parser.parse_args()
    rng = random.Random(args.seed)

    server = database_url()
    name = f"skillstudio_bench_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(make_url(server).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(url)
        load(url, make_courses(args.courses, rng), SentenceEncoder(query_threads=None), args.seed)
        needed = int(args.rate * args.seconds)
        queries = list(dict.fromkeys(
            " ".join(rng.choice(TOPICS + FILLER) for _ in range(rng.randint(1, 4))) + f" {number}"
            for number in range(needed)
        ))  # fmt: skip
        # Its own encoder: the servers' caches never see these queries before the load does.
        steps = profile(url, queries[: args.profile]) if args.profile else {}
        search, search_base = start_server("benchmarks.search:search_app", {"SEARCH_BENCH_DATABASE_URL": url})
        processes.append(search)
        answer = httpx.get(f"{search_base}/api/v1/search", params={"q": "python data"}, timeout=60).json()
        bare, bare_base = start_server(
            "benchmarks.search:bare_app", {"SEARCH_BENCH_ANSWER": json.dumps(answer)}
        )
        processes.append(bare)
        bare_ms = open_loop(bare_base, queries, args.rate, args.seconds)
        search_ms = open_loop(search_base, queries, args.rate, args.seconds)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')

    figures = {
        "courses": args.courses,
        "rate_rps": args.rate,
        "requests": len(search_ms),
        "load_average": round(os.getloadavg()[0], 2),
        "bare_p50_ms": round(percentile(bare_ms, 0.5), 1),
        "bare_p95_ms": round(percentile(bare_ms, 0.95), 1),
        "search_p50_ms": round(percentile(search_ms, 0.5), 1),
        "search_p95_ms": round(percentile(search_ms, 0.95), 1),
        "search_p99_ms": round(percentile(search_ms, 0.99), 1),
        "profile_ms": steps,
    }
    print(f"courses:          {args.courses:,} published, embedded")
    print(
        f"load:             {args.rate:g} requests/s for {args.seconds:g} s, distinct queries (no cache hit)"
    )
    print(f"bare route:       p50 {figures['bare_p50_ms']} ms, p95 {figures['bare_p95_ms']} ms (baseline)")
    print(f"search route:     p50 {figures['search_p50_ms']} ms, p95 {figures['search_p95_ms']} ms, "
          f"p99 {figures['search_p99_ms']} ms (target p95 <= 50 ms)")  # fmt: skip
    for step, values in steps.items():
        print(f"in process, {step + ':':11s} p50 {values['p50']} ms, p95 {values['p95']} ms")
    print(f"load average:     {figures['load_average']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
