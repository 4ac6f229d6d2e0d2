"""The dashboards' server time at scale, each page next to the JSON analytics call it is built on.

On a generated history (by default 125,000 learners, 300 courses, 365 days: about 10 million events) in a
fresh database, with the demo accounts seeded and the marts built by ``dbt build``, a server (uvicorn,
2 workers) answers, for each page, ``--requests`` requests from ``--concurrency`` signed-in clients after a
warm-up; p50 and p95 latency on localhost (= server time plus a loopback hop). The baseline is the analytics
API endpoint that returns the same figures as JSON, measured the same way in the same run: the page's own
cost is its p95 minus the baseline's (charts rendered to SVG, the template, the extra lists).

The first request of each page (charts not yet in the SVG cache) is printed too. Target (issue 14): every
page p95 <= 300 ms. The last line is a JSON object of the figures.

    .venv/bin/python -m benchmarks.pages                      # ~10 million events, ~20 minutes
    .venv/bin/python -m benchmarks.pages --learners 12000     # a quicker look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from app_api.demo import DEMO_PASSWORDS, seed_demo
from benchmarks.generate import fresh_database
from benchmarks.ingest import free_port
from benchmarks.pipeline import assign_instructors, dbt_build, percentile
from skillstudio.db import database_url, session_scope
from skillstudio.settings import Settings
from skillstudio.sources.synthetic import GeneratorConfig, generate

TARGET_P95_MS = 300.0


@contextmanager
def page_server(url: str, home: str, secret: str, port: int) -> Iterator[str]:
    env = {
        **os.environ,
        "SKILLSTUDIO_DATABASE_URL": url,
        "SKILLSTUDIO_HOME": home,
        "SKILLSTUDIO_JWT_SECRET": secret,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "skillstudio.main.app:create_app", "--factory", "--workers", "2",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def signed_in(base: str, role: str) -> tuple[dict[str, str], dict[str, str]]:
    """(page cookies, API headers) of a demo account, signed in through the form and the API."""
    email, password, _ = DEMO_PASSWORDS[role]
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        form = client.get("/app/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, "no CSRF token on the sign-in form"
        answer = client.post(
            "/app/sign-in", data={"email": email, "password": password, "csrf_token": token[1]}
        )
        assert answer.status_code == 303, answer.text[:500]
        cookies = dict(client.cookies)
        login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        login.raise_for_status()
    return cookies, {"Authorization": f"Bearer {login.json()['access_token']}"}


async def latencies(
    base: str, path: str, *, cookies: dict[str, str], headers: dict[str, str], requests: int, concurrency: int
) -> tuple[float, list[float]]:
    """(first request's ms, each measured request's ms); every answer must be 200."""
    times: list[float] = []
    remaining = iter(range(requests))
    async with httpx.AsyncClient(base_url=base, cookies=cookies, headers=headers, timeout=60) as session:
        started = time.perf_counter()
        first = await session.get(path)
        first_ms = (time.perf_counter() - started) * 1000
        if first.status_code != 200:
            raise RuntimeError(f"GET {path}: {first.status_code} {first.text[:500]}")
        for _ in range(4):
            await session.get(path)

        async def client() -> None:
            for _ in remaining:
                began = time.perf_counter()
                response = await session.get(path)
                times.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: {response.status_code}")

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return first_ms, times


def targets(url: str, instructor_email: str) -> tuple[str, str]:
    """A busy course of the demo instructor (given the first generated instructor's courses) and a busy
    learner."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "update courses set instructor_id = (select user_id from users where email = %s) "
            "where instructor_id = (select instructor_id from courses where instructor_id is not null "
            "order by course_id limit 1)",
            (instructor_email,),
        )
        conn.commit()
        course = conn.execute(
            "select c.course_id from courses c join users u on u.user_id = c.instructor_id "
            "where u.email = %s "
            "order by (select count(*) from enrollments e where e.course_id = c.course_id) desc limit 1",
            (instructor_email,),
        ).fetchone()
        learner = conn.execute(
            "select user_id from enrollments group by user_id order by count(*) desc limit 1"
        ).fetchone()
    assert course and learner
    return str(course[0]), str(learner[0])


# What the pipeline's daily scoring stores for every open enrollment (a spread of risks, two reasons), so that
# the course page's at-risk list and the learner page's risk are read at scale as in production.
SCORE_OPEN_ENROLLMENTS = """
insert into completion_risk_scores
    (enrollment_id, course_id, model_version, day_k, probability, risk, band, reasons, scored_at)
select enrollment_id, course_id, 'benchmark', 30, 1 - risk, risk,
    case when risk >= 0.6 then 'high' when risk >= 0.35 then 'medium' else 'low' end,
    '[{"feature": "days_since_last_activity", "text": "no activity for 12 days", "value": 12,
       "contribution": -0.8},
      {"feature": "assessments_missed", "text": "2 of 3 assessments due not submitted", "value": 2,
       "contribution": -0.5}]'::jsonb,
    now()
from (select enrollment_id, course_id, (abs(hashtext(enrollment_id::text)) % 1000) / 1000.0 as risk
      from enrollments where status = 'active') as open
on conflict (enrollment_id) do nothing
"""


def score_open_enrollments(url: str) -> int:
    with psycopg.connect(url) as conn:
        scored = conn.execute(SCORE_OPEN_ENROLLMENTS).rowcount
        conn.commit()
    return scored


def last_year(url: str) -> str:
    """The query of the JSON call matching the year view: the last 365 days the marts hold, by week."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select min(activity_date), max(activity_date) from analytics.fct_platform_daily"
        ).fetchone()
    assert row is not None and row[1] is not None, "the marts are empty"
    first, last = row
    return f"from={max(first, last - timedelta(days=364))}&to={last}&granularity=week"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=125_000)
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients")
    args = parser.parse_args()
    config = GeneratorConfig(
        learners=args.learners, courses=args.courses, days=args.days, seed=args.seed,
        end_date=datetime.now(UTC).date() - timedelta(days=1),
    )  # fmt: skip
    load = os.getloadavg()[0]
    home = tempfile.mkdtemp(prefix="skillstudio-pages-")
    secret = secrets.token_urlsafe(48)
    with fresh_database(database_url()) as url:
        print(f"generating {config.learners:,} learners × {config.days} days...", flush=True)
        with psycopg.connect(url) as conn:
            events = generate(conn, config).events
            conn.commit()
        assign_instructors(url, max(1, args.courses // 10))
        with session_scope(Settings(home=home, database_url=url, jwt_secret=secret)) as session:
            demo_learner = seed_demo(
                session, settings=Settings(home=home, database_url=url, jwt_secret=secret)
            ).learner.user_id
        course, learner = targets(url, DEMO_PASSWORDS["instructor"][0])
        print(f"open enrollments scored: {score_open_enrollments(url):,}", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("vacuum analyze")
        print(f"events: {events:,}; dbt build...", flush=True)
        build_s = dbt_build(url, Path(tempfile.mkdtemp(prefix="skillstudio-pages-dbt-")))
        print(f"marts built in {build_s:.0f} s", flush=True)
        api = "/api/v1/analytics"
        # name -> (role, page, the JSON call with the same figures)
        pages = {
            "admin_30d": ("admin", "/app/admin?days=30", f"{api}/platform"),
            "admin_365d": ("admin", "/app/admin?days=365", f"{api}/platform?{last_year(url)}"),
            "admin_health": ("admin", "/app/admin/health", "/health"),
            "instructor_home": ("instructor", "/app/instructor", f"{api}/courses?limit=50"),
            "instructor_course": (
                "instructor",
                f"/app/instructor/courses/{course}",
                f"{api}/courses/{course}",
            ),
            "learner_page": ("admin", f"/app/learners/{learner}", f"{api}/learners/{learner}"),
            # The demo learner's own page: a goal's path week by week, next steps, risk with reasons.
            "learner_own_page": (
                "learner",
                f"/app/learners/{demo_learner}",
                f"{api}/learners/{demo_learner}",
            ),
        }
        figures: dict[str, Any] = {}
        with page_server(url, home, secret, free_port()) as base:
            sessions = {role: signed_in(base, role) for role in ("admin", "instructor", "learner")}
            for name, (role, page, baseline) in pages.items():
                cookies, headers = sessions[role]
                run = {"requests": args.requests, "concurrency": args.concurrency}
                first_ms, page_times = asyncio.run(latencies(base, page, cookies=cookies, headers={}, **run))
                _, api_times = asyncio.run(latencies(base, baseline, cookies={}, headers=headers, **run))
                p95, api_p95 = percentile(page_times, 95), percentile(api_times, 95)
                figures[name] = {
                    "first_ms": round(first_ms, 1),
                    "p50_ms": round(percentile(page_times, 50), 1),
                    "p95_ms": round(p95, 1),
                    "baseline_json_p95_ms": round(api_p95, 1),
                }
                verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
                print(f"  {name:<18} first {first_ms:7.1f} ms  p95 {p95:6.1f} ms  (JSON baseline p95 "
                      f"{api_p95:6.1f} ms, page = {p95 / api_p95:.1f}×)  target <= 300 ms: {verdict}",
                      flush=True)  # fmt: skip
    worst = max(entry["p95_ms"] for entry in figures.values())
    print(f"events: {events:,}; worst page p95 {worst:.1f} ms (load average {load:.1f} at the start)")
    print(
        json.dumps(
            {"events": events, "pages": figures, "worst_p95_ms": worst, "load_average": round(load, 2)}
        )
    )


if __name__ == "__main__":
    main()
