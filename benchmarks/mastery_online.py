"""Mastery online: server time of the answer route with and without the per-answer mastery update.

One app and one in-process client (FastAPI's TestClient: no network, so the time is the server's plus the
same small client overhead for every configuration) on a fresh, migrated database seeded with the demo
data. Three learners (one per configuration, so no updater reads another's state) answer a fixed quiz of
the demo's course, one ``PUT`` per answer; the configuration alternates answer by answer in a rotating
order, so load on the shared machine hits all of them alike:

- ``off``: ``mastery_online = false``: the answer route as before issue 11 (the baseline);
- ``rule``: the IRT rule a fresh install uses;
- ``champion``: the knowledge tracer in the shipped composition and size (the default ``members`` GRU
  networks and ``attention_members`` attention networks of 96 units, families weighed apart, blended
  with Best-LR) fitted here in seconds on simulated answers over the demo's skills and installed as
  the champion would be.

Figures are the 10th percentile, median and 90th percentile per answer in milliseconds, and each
configuration's median (and 10th percentile, less sensitive to load) minus the baseline's (target: at
most 1 ms added). The machine is shared, so wall times move with other work; the process's CPU time per
answer (``time.process_time`` around each request: the server's work and the same in-process client
for every configuration) moves much less, and its median minus the baseline's is printed too, with the
load average before and after the run. The last line is one JSON object of the figures.

    .venv/bin/python -m benchmarks.mastery_online --answers 400
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from benchmarks.demo_site import demo_site, percentile
from models.mastery import DEFAULT_PARAMS, fit_best_lr, fit_mastery, prepare_responses
from skillstudio.main.mastery_wiring import install_mastery_updater
from skillstudio.settings import Settings

QUIZ_SIZE = 20


def champion(skill_ids: list[str]) -> Any:
    """A tracer of the shipped composition fitted on simulated learners (the cost per answer is the point)."""
    rng = np.random.default_rng(0)
    rows = [
        (f"sim-{learner}", seq, skill_ids[rng.integers(len(skill_ids))], int(rng.random() < 0.6))
        for learner in range(150)
        for seq in range(30)
    ]
    responses = pd.DataFrame(rows, columns=["learner_id", "seq", "skill_id", "correct"])
    params = replace(DEFAULT_PARAMS, epochs=2, patience=1)
    grus = [fit_mastery(responses, replace(params, seed=k)) for k in range(params.members)]
    attention = [
        fit_mastery(responses, replace(params, seed=k), family="attention")
        for k in range(params.attention_members)
    ]
    weights = tuple(0.5 / len(grus) for _ in grus) + tuple(0.5 / len(attention) for _ in attention)
    return replace(
        grus[0],
        networks=[m.weights for m in grus + attention],
        network_weights=weights,
        linear=fit_best_lr(prepare_responses(responses), grus[0].vocabulary),
        blend=(1.0, 0.2, 0.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=400, help="answers per configuration")
    args = parser.parse_args()

    with demo_site() as site:
        load_before = os.getloadavg()
        timings, cpu = run(site.client, site.demo, site.settings, args.answers)
        load_after = os.getloadavg()

    base, base_p10 = statistics.median(timings["off"]), percentile(timings["off"], 0.1)
    base_cpu = statistics.median(cpu["off"])
    figures: dict[str, Any] = {"answers_per_configuration": args.answers}
    print(f"answers per configuration: {args.answers}")
    for label, values in timings.items():
        median, p10, p90 = statistics.median(values), percentile(values, 0.1), percentile(values, 0.9)
        added, added_p10 = median - base, p10 - base_p10
        cpu_median = statistics.median(cpu[label])
        note = "(baseline)" if label == "off" else f"= {added:+.3f} ms per answer ({added_p10:+.3f} at p10)"
        print(
            f"{label:>9}: median {median:.3f} ms, p10 {p10:.3f} ms, p90 {p90:.3f} ms {note}; "
            f"CPU median {cpu_median:.3f} ms" + ("" if label == "off" else f" ({cpu_median - base_cpu:+.3f})")
        )
        figures[f"{label}_median_ms"] = round(median, 3)
        figures[f"{label}_p10_ms"] = round(p10, 3)
        figures[f"{label}_p90_ms"] = round(p90, 3)
        figures[f"{label}_cpu_median_ms"] = round(cpu_median, 3)
        if label != "off":
            figures[f"{label}_added_ms"] = round(added, 3)
            figures[f"{label}_added_p10_ms"] = round(added_p10, 3)
            figures[f"{label}_cpu_added_ms"] = round(cpu_median - base_cpu, 3)
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    figures["load_average_before"] = [round(v, 2) for v in load_before]
    figures["load_average_after"] = [round(v, 2) for v in load_after]
    print(json.dumps(figures))


def run(
    client: TestClient, demo: Any, settings: Settings, answers: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU milliseconds of every answer, per configuration."""

    def token(account: Any) -> dict[str, str]:
        login = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    instructor = token(demo.instructor)
    course_id = next(iter(demo.course_ids.values()))
    skills = client.get("/api/v1/skills", params={"limit": 100}).json()["items"]
    skill_ids = [skill["skill_id"] for skill in skills][:4]
    question_ids = []
    for number in range(QUIZ_SIZE):
        body = {
            "question_type": "single_choice", "skill_id": skill_ids[number % len(skill_ids)],
            "prompt": f"Question {number}", "difficulty": (number % 7 - 3) / 2,
            "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B", "correct": True}],
        }  # fmt: skip
        created = client.post(f"/api/v1/courses/{course_id}/questions", json=body, headers=instructor)
        question_ids.append(created.json()["question_id"])
    quiz = client.post(
        f"/api/v1/courses/{course_id}/assessments",
        json={"title": "Benchmark", "status": "published", "question_ids": question_ids},
        headers=instructor,
    ).json()
    learners = {}
    for label in ("off", "rule", "champion"):
        # One learner per configuration, so that no state written by one updater is read by another.
        email = f"bench-{label}-{uuid.uuid4().hex[:6]}@example.org"
        account = {"email": email, "password": "benchmark-password-1", "display_name": label}
        assert client.post("/api/v1/auth/register", json=account).status_code == 201
        login = client.post("/api/v1/auth/login", json={"email": email, "password": account["password"]})
        learners[label] = {"Authorization": f"Bearer {login.json()['access_token']}"}
        client.post(f"/api/v1/courses/{course_id}/enrollments", headers=learners[label])
    print("fitting the champion-sized tracer on simulated answers ...", file=sys.stderr)
    model = champion(skill_ids)
    configurations = {
        "off": lambda: install_mastery_updater(settings.model_copy(update={"mastery_online": False})),
        "rule": lambda: install_mastery_updater(settings),
        "champion": lambda: install_mastery_updater(settings, champion=(model, "bench")),
    }
    labels = list(configurations)
    timings: dict[str, list[float]] = {label: [] for label in configurations}
    cpu: dict[str, list[float]] = {label: [] for label in configurations}
    rng = np.random.default_rng(1)
    rounds = max(1, answers // QUIZ_SIZE)
    for round_number in range(rounds):
        attempts = {
            label: client.post(
                f"/api/v1/assessments/{quiz['assessment_id']}/attempts", headers=learners[label]
            ).json()["attempt_id"]
            for label in labels
        }
        for number, question_id in enumerate(question_ids):
            response = "b" if rng.random() < 0.6 else "a"
            # Configurations alternate answer by answer (in a rotating order), so load on the shared
            # machine falls on all of them alike.
            shift = (round_number * QUIZ_SIZE + number) % len(labels)
            for label in labels[shift:] + labels[:shift]:
                configurations[label]()
                started, started_cpu = time.perf_counter(), time.process_time()
                saved = client.put(
                    f"/api/v1/attempts/{attempts[label]}/answers/{question_id}",
                    json={"response": response},
                    headers=learners[label],
                )
                timings[label].append((time.perf_counter() - started) * 1000)
                cpu[label].append((time.process_time() - started_cpu) * 1000)
                assert saved.status_code == 200, saved.text
        for label in labels:
            client.post(
                f"/api/v1/attempts/{attempts[label]}/submit", json={"answers": []}, headers=learners[label]
            )
        print(f"round {round_number + 1}/{rounds}", file=sys.stderr)
    install_mastery_updater(settings)
    return timings, cpu


if __name__ == "__main__":
    main()
