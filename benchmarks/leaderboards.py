"""Leaderboards and XP: the leaderboard route over 125,000 learners, and what awarding XP adds to the
lesson-progress route.

One app and one in-process client (FastAPI's TestClient: no network) on a fresh, migrated database
seeded with the demo data.

- Leaderboards: the serving cache is filled directly with SQL (``--learners`` rows on the all-time global
  board and on one course's board, as the Dagster asset would write them); the viewer sits in the middle
  of the board. ``GET /api/v1/leaderboards`` (top 10 and the viewer's own row) is timed next to
  ``GET /api/v1/me`` (the baseline: the same authentication and session, one primary-key read), requests
  interleaved. Target: p95 at most 20 ms.
- XP: two learners complete the lessons of a course one ``POST .../progress`` each, alternating, one with
  the gamification listener installed (``on``), one without (``off``, the baseline: ``uninstall_reactions``).
  Each report completes a lesson (three events: initialized, progressed, completed), the case that earns
  XP. Target: the median at most 10% above the baseline's.

The last line is one JSON object of the figures.

    .venv/bin/python -m benchmarks.leaderboards --learners 125000 --lessons 300
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from app_api.reactions import install_reactions, uninstall_reactions
from benchmarks.demo_site import demo_site, percentile
from skillstudio.db import libpq_url

DONE = {"completed": True, "time_spent_s": 60}
FILL = """
insert into leaderboard_entries (period, scope, course_id, rank, learner_id, display_name, xp, reached_at,
    period_start, refreshed_at)
select 'all_time', board.scope, board.course_id, n, case when n = %(middle)s then %(viewer)s::uuid
    else md5(board.scope || n)::uuid end, 'Learner ' || n, 1000000 - n, now() - n * interval '1 second',
    null, now()
from generate_series(1, %(learners)s) n
cross join (values ('global', '00000000-0000-0000-0000-000000000000'::uuid), ('course', %(course)s::uuid))
    as board(scope, course_id)
"""


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 3),
        "p95_ms": round(percentile(values, 0.95), 3),
        "p10_ms": round(percentile(values, 0.1), 3),
    }


def timed(call: Any) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code < 300, response.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=125_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--lessons", type=int, default=300)
    args = parser.parse_args()

    try:
        with demo_site() as site:
            figures = run(site.client, site.demo, site.url, args)
    finally:
        install_reactions()
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))


def login(client: TestClient, email: str, password: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def register(client: TestClient, label: str) -> tuple[dict[str, str], str]:
    email = f"bench-{label}-{uuid.uuid4().hex[:6]}@example.org"
    account = {"email": email, "password": "benchmark-password-1", "display_name": label}
    assert client.post("/api/v1/auth/register", json=account).status_code == 201
    headers = login(client, email, account["password"])
    return headers, client.get("/api/v1/me", headers=headers).json()["user_id"]


def run(client: TestClient, demo: Any, url: str, args: argparse.Namespace) -> dict[str, Any]:
    viewer, viewer_id = register(client, "viewer")
    course_id = next(iter(demo.course_ids.values()))
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute(FILL, {"learners": args.learners, "middle": args.learners // 2, "viewer": viewer_id,
                            "course": course_id})  # fmt: skip
        conn.execute("analyze leaderboard_entries")
    boards: list[float] = []
    baseline: list[float] = []
    for number in range(args.requests):
        params = {"limit": 10} if number % 2 else {"scope": "course", "course_id": course_id, "limit": 10}
        boards.append(
            timed(lambda params=params: client.get("/api/v1/leaderboards", params=params, headers=viewer))
        )
        baseline.append(timed(lambda: client.get("/api/v1/me", headers=viewer)))
    board = client.get("/api/v1/leaderboards", params={"limit": 10}, headers=viewer).json()
    assert board["me"]["rank"] == args.learners // 2 and len(board["entries"]) == 10

    instructor = login(client, demo.instructor.email, demo.instructor.password)
    new_course = {"title": "Benchmark", "subject": "Data", "level": "beginner"}
    course = client.post("/api/v1/courses", headers=instructor, json=new_course).json()
    lessons = [
        client.post(f"/api/v1/courses/{course['course_id']}/lessons", headers=instructor,
                    json={"title": f"Lesson {n}", "estimated_minutes": 5}).json()["lesson_id"]
        for n in range(args.lessons)
    ]  # fmt: skip
    assert (
        client.post(f"/api/v1/courses/{course['course_id']}/publish", headers=instructor).status_code == 200
    )
    learners = {}
    for label in ("on", "off"):
        headers, _ = register(client, label)
        enrollment = client.post(f"/api/v1/courses/{course['course_id']}/enrollments", headers=headers).json()
        learners[label] = (headers, enrollment["enrollment_id"])
    progress: dict[str, list[float]] = {"on": [], "off": []}
    for number, lesson_id in enumerate(lessons):
        order = ("on", "off") if number % 2 else ("off", "on")
        for label in order:
            (install_reactions if label == "on" else uninstall_reactions)()
            headers, enrollment_id = learners[label]
            path = f"/api/v1/enrollments/{enrollment_id}/lessons/{lesson_id}/progress"
            progress[label].append(
                timed(lambda path=path, headers=headers: client.post(path, json=DONE, headers=headers))
            )
    install_reactions()
    earned = client.get("/api/v1/gamification/me", headers=learners["on"][0]).json()["xp"]
    assert earned >= 60 * 1 + 50 * (args.lessons - 1), earned
    on, off = summary(progress["on"]), summary(progress["off"])
    return {
        "learners": args.learners,
        "leaderboard": summary(boards),
        "baseline_me": summary(baseline),
        "leaderboard_p95_target_ms": 20,
        "lessons": args.lessons,
        "progress_xp_on": on,
        "progress_xp_off": off,
        "xp_added_share_p50": round(on["p50_ms"] / off["p50_ms"] - 1, 4),
        "xp_added_share_p10": round(on["p10_ms"] / off["p10_ms"] - 1, 4),
        "xp_added_target_share": 0.10,
    }


if __name__ == "__main__":
    main()
