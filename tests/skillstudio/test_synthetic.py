"""The synthetic history is deterministic and carries the taste signal it promises."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import psycopg

from skillstudio.db import libpq_url
from skillstudio.synthetic import GeneratorConfig, generate, has_history

SMALL = GeneratorConfig(learners=120, courses=15, days=30, seed=11, end_date=date(2026, 6, 30))

CONTENT = {
    "users": "select user_id, email, created_at from users order by user_id",
    "courses": "select course_id, title, subject, level from courses order by course_id",
    "lessons": "select lesson_id, course_id, position, estimated_minutes from lessons order by lesson_id",
    "enrollments": "select enrollment_id, user_id, course_id, status, enrolled_at, completed_at "
    "from enrollments order by enrollment_id",
    "events": "select event_id, occurred_at, actor_id, verb, object_id, course_id, registration, duration_s "
    "from learner_events order by event_id",
}


def snapshot(url: str, config: GeneratorConfig) -> dict[str, list[tuple]]:
    with psycopg.connect(libpq_url(url)) as conn:
        assert not has_history(conn)
        generate(conn, config)
        assert has_history(conn)
        return {name: conn.execute(query).fetchall() for name, query in CONTENT.items()}


def test_same_seed_same_data_other_seed_other_data(database_factory: Callable[[], str]) -> None:
    first = snapshot(database_factory(), SMALL)
    second = snapshot(database_factory(), SMALL)
    assert first == second
    assert len(first["users"]) == 120 and len(first["courses"]) == 15
    assert len(first["events"]) > len(first["enrollments"]) > 120

    other = snapshot(database_factory(), GeneratorConfig(**{**SMALL.__dict__, "seed": 12}))
    assert other["users"] != first["users"]


def test_history_is_consistent(database_factory: Callable[[], str]) -> None:
    url = database_factory()
    with psycopg.connect(libpq_url(url)) as conn:
        counts = generate(conn, SMALL)
        registered = conn.execute(
            "select count(*) from learner_events where verb = 'registered' and object_type = 'course'"
        ).fetchone()
        # Every enrollment has its registered event with the enrollment as registration, and nothing
        # happens outside the requested window.
        orphans = conn.execute(
            "select count(*) from enrollments e left join learner_events v "
            "on v.registration = e.enrollment_id and v.verb = 'registered' where v.event_id is null"
        ).fetchone()
        window = conn.execute(
            "select min(occurred_at)::date, max(occurred_at)::date from learner_events"
        ).fetchone()
        completed = conn.execute(
            "select count(*) from enrollments e where status = 'completed' and completed_at is not null and "
            "(select count(*) from lessons l where l.course_id = e.course_id) = (select count(*) from "
            "learner_events v where v.registration = e.enrollment_id and v.verb = 'completed' "
            "and v.object_type = 'lesson')"
        ).fetchone()
        all_completed = conn.execute("select count(*) from enrollments where status = 'completed'").fetchone()
    assert registered == (counts.enrollments,)
    assert orphans == (0,)
    assert window is not None and window[0] >= date(2026, 6, 1) and window[1] <= date(2026, 6, 30)
    assert completed == all_completed and all_completed is not None and all_completed[0] > 0
