"""Issue 13 point 5: the uptake mart detects a challenger that is truly better.

Served lists are written by serving's own log (``ServedLog``) into a fresh database, learners of the
challenger arm enroll in a recommended course more often than those of the champion's, and a real
``dbt build`` of the mart (and what it reads) must report intervals that separate on every day.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from serving.experiments import ServedList, ServedLog, in_challenger_arm
from skillstudio.db import libpq_url
from tests.conftest import DbtDatabase
from tests.warehouses import Warehouse, dbt_build

DAYS = [date(2026, 10, 5) + timedelta(days=offset) for offset in range(3)]
LEARNERS_PER_DAY = 160
SALT = "uptake-test"
# Share of served learners who enroll in a recommended course within 14 days, per arm.
UPTAKE = {"champion": 0.2, "challenger": 0.5}
COURSES = [uuid.UUID(int=0xC0 + number) for number in range(12)]


def uptake_rows(warehouse: Warehouse) -> dict[tuple[str, date], list[Any]]:
    """The mart's figures by (variant, day)."""
    return {
        (variant, served_on): rest
        for variant, served_on, *rest in warehouse.rows(
            "select variant, served_on, learners_served, lists_served, impressions, learners_taken_up, "
            "uptake_rate, uptake_rate_lower, uptake_rate_upper, uptake_rate_vs_champion "
            "from analytics.fct_recommendation_uptake"
        )
    }


def test_the_mart_detects_a_truly_better_challenger(dbt_database: DbtDatabase, tmp_path: Path) -> None:
    url = dbt_database.url
    rng = random.Random(13)
    served: list[ServedList] = []
    enrollments: list[tuple[uuid.UUID, uuid.UUID, datetime]] = []
    expected: dict[tuple[str, date], list[int]] = {}
    for day_number, day in enumerate(DAYS):
        for number in range(LEARNERS_PER_DAY):
            learner = uuid.uuid5(uuid.NAMESPACE_URL, f"learner-{day_number}-{number}")
            variant = "challenger" if in_challenger_arm(learner, 0.5, SALT) else "champion"
            at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(minutes=5 * number)
            items = tuple(str(course) for course in rng.sample(COURSES, 4))
            served.append(ServedList(at, learner, "course_recommender", "7", variant, 4, items))
            counts = expected.setdefault((variant, day), [0, 0])
            counts[0] += 1
            if rng.random() < UPTAKE[variant]:
                counts[1] += 1
                enrollments.append(
                    (learner, uuid.UUID(rng.choice(items)), at + timedelta(days=rng.uniform(0, 13.9)))
                )
            elif rng.random() < 0.5:  # enrolls too late, or in a course that was not recommended: no uptake
                late = rng.random() < 0.5
                course = uuid.UUID(items[0]) if late else next(c for c in COURSES if str(c) not in items)
                enrollments.append((learner, course, at + timedelta(days=15 if late else 1)))

    with psycopg.connect(libpq_url(url)) as conn:
        conn.cursor().executemany(
            "insert into courses (course_id, title, subject, level, status) "
            "values (%s, %s, 'SQL', 'beginner', 'published')",
            [(course, f"Course {course.int}") for course in COURSES],
        )
        conn.cursor().executemany(
            "insert into users (user_id, email, display_name) values (%s, %s, 'L')",
            [(item.learner_id, f"{item.learner_id}@example.test") for item in served],
        )
        conn.cursor().executemany(
            "insert into enrollments (enrollment_id, user_id, course_id, enrolled_at) "
            "values (%s, %s, %s, %s)",
            [(uuid.uuid4(), *enrollment) for enrollment in enrollments],
        )
    # The served lists go through serving's own log, as the route writes them.
    engine = create_engine(url)
    log = ServedLog(flush_seconds=3600, flush_rows=10_000)
    for item in served:
        log.add(item)
    assert log.flush(sessionmaker(engine).begin) == len(served)
    engine.dispose()

    warehouse = dbt_build(
        url,
        tmp_path,
        "--select",
        "+fct_recommendation_uptake",
        "--indirect-selection",
        "cautious",
        profiles=dbt_database.profiles,
    )
    assert any("unit_test.skillstudio.fct_recommendation_uptake" in node for node in warehouse.statuses)
    rows = uptake_rows(warehouse)
    assert set(rows) == set(expected)
    for (variant, day), (learners, taken_up) in expected.items():
        got = rows[variant, day]
        assert got[:4] == [learners, learners, 4 * learners, taken_up], (variant, day)
        assert float(got[4]) == round(taken_up / learners, 4)
    for day in DAYS:
        champion, challenger = rows["champion", day], rows["challenger", day]
        # The challenger's interval lies wholly above the champion's: the mart detects the better model.
        assert challenger[5] > champion[6], day
        assert champion[7] is None and float(challenger[7]) > 0.15

    # Incremental by day: refreshing a later day recomputes the 14 days before it. A champion learner of
    # the first day, who had not taken anything up, enrolls 10 days later in a course of their list; a
    # refresh of that later day alone must count them on the first day, and change nothing else.
    enrolled = {learner for learner, _, _ in enrollments}
    late = next(
        item
        for item in served
        if item.variant == "champion" and item.served_at.date() == DAYS[0] and item.learner_id not in enrolled
    )
    refresh_day = DAYS[0] + timedelta(days=10)
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute(
            "insert into enrollments (enrollment_id, user_id, course_id, enrolled_at) "
            "values (%s, %s, %s, %s)",
            (uuid.uuid4(), late.learner_id, uuid.UUID(late.items[0]),
             datetime(refresh_day.year, refresh_day.month, refresh_day.day, 12, tzinfo=UTC)),
        )  # fmt: skip
    window = {"refresh_from": str(refresh_day), "refresh_to": str(refresh_day)}
    refreshed = dbt_build(
        url, tmp_path, "--select", "fct_recommendation_uptake", window=window, profiles=dbt_database.profiles
    )
    after = uptake_rows(refreshed)
    assert set(after) == set(rows)
    assert after["champion", DAYS[0]][3] == rows["champion", DAYS[0]][3] + 1
    # The challenger's row of that day differs only by its difference from the champion.
    assert after["challenger", DAYS[0]][:7] == rows["challenger", DAYS[0]][:7]
    first_day = {("champion", DAYS[0]), ("challenger", DAYS[0])}
    assert {k: v for k, v in after.items() if k not in first_day} == {
        k: v for k, v in rows.items() if k not in first_day
    }
