"""Certificates: what issuing one adds to the course-completing request, and what drawing it inline would.

One app and one in-process client (FastAPI's TestClient) on a fresh, migrated database seeded with the
demo data. A learner completes one-lesson courses of the demo instructor, one ``POST .../progress``
(percent 100) each, which completes the lesson and the course. Two configurations alternate course by
course, so load on the shared machine falls on both alike:

- ``off``: the learning API's event reactions uninstalled: completing issues no certificate (baseline);
- ``on``: as shipped: the completion issues the certificate, its ``earned`` event, the notification and
  its queued email, in the same transaction.

Then each issued certificate is downloaded twice: the first download draws the PDF (reportlab, the QR
code, the store) because no worker ran; the second reads the stored file. Their difference is what drawing
the PDF inside the completing request would have added, which is why it is left to the worker.

Figures in milliseconds (median, 10th and 90th percentile); the last line is one JSON object.

    .venv/bin/python -m benchmarks.certificate_completion --courses 60
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from typing import Any

from fastapi.testclient import TestClient

from app_api.reactions import install_reactions, uninstall_reactions
from benchmarks.demo_site import demo_site, percentile


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 3),
        "p10_ms": round(percentile(values, 0.1), 3),
        "p90_ms": round(percentile(values, 0.9), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=60, help="completions per configuration")
    args = parser.parse_args()

    try:
        with demo_site() as site:
            timings = run(site.client, site.demo, args.courses)
    finally:
        install_reactions()

    figures: dict[str, Any] = {"completions_per_configuration": args.courses}
    for label, values in timings.items():
        figures[label] = summary(values)
        print(
            f"{label:>22}: median {figures[label]['median_ms']:.3f} ms, p10 {figures[label]['p10_ms']:.3f}, "
            f"p90 {figures[label]['p90_ms']:.3f}"
        )
    base = statistics.median(timings["complete_off"])
    added = statistics.median(timings["complete_on"]) - base
    drawing = statistics.median(timings["download_drawing"]) - statistics.median(timings["download_stored"])
    figures["issuing_added_ms"] = round(added, 3)
    figures["issuing_added_share"] = round(added / base, 4)
    figures["drawing_inline_would_add_ms"] = round(drawing, 3)
    print(
        f"issuing adds {added:+.3f} ms to completing ({added / base:+.1%}); "
        f"drawing the PDF inline would add about {drawing:.1f} ms more"
    )
    print(json.dumps(figures))


def run(client: TestClient, demo: Any, courses: int) -> dict[str, list[float]]:
    def token(email: str, password: str) -> dict[str, str]:
        login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    instructor = token(demo.instructor.email, demo.instructor.password)
    email = f"bench-{uuid.uuid4().hex[:6]}@example.org"
    account = {"email": email, "password": "benchmark-password-1", "display_name": "Bench Learner"}
    assert client.post("/api/v1/auth/register", json=account).status_code == 201
    learner = token(email, account["password"])

    def ready_course(number: int) -> str:
        """A published one-lesson course with the learner enrolled; the path of the report that ends it."""
        body = {"title": f"Benchmark course {number}", "subject": "Data", "level": "beginner"}
        course = client.post("/api/v1/courses", json=body, headers=instructor).json()
        lesson = client.post(
            f"/api/v1/courses/{course['course_id']}/lessons",
            json={"title": "The only lesson", "estimated_minutes": 5},
            headers=instructor,
        ).json()
        client.post(f"/api/v1/courses/{course['course_id']}/publish", headers=instructor)
        enrollment = client.post(f"/api/v1/courses/{course['course_id']}/enrollments", headers=learner).json()
        return f"/api/v1/enrollments/{enrollment['enrollment_id']}/lessons/{lesson['lesson_id']}/progress"

    timings: dict[str, list[float]] = {
        "complete_off": [], "complete_on": [], "download_drawing": [], "download_stored": [],
    }  # fmt: skip
    for number in range(2 * courses):
        label = ("off", "on")[(number + number // 2) % 2]  # off, on, on, off, off, on ...: no fixed order
        path = ready_course(number)
        if label == "on":
            install_reactions()
        else:
            uninstall_reactions()
        started = time.perf_counter()
        response = client.post(path, json={"percent": 100, "time_spent_s": 300}, headers=learner)
        timings[f"complete_{label}"].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        if (number + 1) % 20 == 0:
            print(f"{number + 1}/{2 * courses} completions", file=sys.stderr)
    install_reactions()
    issued = client.get("/api/v1/me/certificates", params={"limit": 100}, headers=learner).json()["items"]
    assert len(issued) == min(courses, 100), len(issued)
    for certificate in issued:
        for label in ("download_drawing", "download_stored"):
            started = time.perf_counter()
            response = client.get(
                f"/api/v1/certificates/{certificate['certificate_id']}/pdf", headers=learner
            )
            timings[label].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return timings


if __name__ == "__main__":
    main()
