"""The synthetic history is deterministic, consistent, and carries the signals its truth describes:
taste drives course choice, answers follow the IRT items and ability grows with practice, learners mostly
respect prerequisites, drop out more after failing, and study in weekly, daily and streaky rhythms."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from typer.testing import CliRunner

from skillstudio.db import libpq_url
from skillstudio.main.cli import app
from skillstudio.settings import get_settings
from skillstudio.sources.synthetic import GeneratorConfig, generate, has_history

SMALL = GeneratorConfig(
    learners=120, courses=15, days=30, seed=11, end_date=date(2026, 6, 30), batch_learners=50
)
# Big enough for the statistical checks to be far from chance, small enough to generate in a second.
STUDY = GeneratorConfig(
    learners=1500, courses=30, days=90, seed=5, end_date=date(2026, 5, 31), batch_learners=600
)

CONTENT = {
    "users": "select user_id, email, display_name, created_at from users order by user_id",
    "courses": "select course_id, title, subject, level, description from courses order by course_id",
    "skills": "select s.slug, c.course_id from course_skills c join skills s using (skill_id) order by 1, 2",
    "prerequisites": "select * from course_prerequisites order by 1, 2",
    "lessons": "select lesson_id, course_id, position, estimated_minutes, activity_type from lessons "
    "order by 1",
    "quizzes": "select assessment_id, course_id, title, weight from assessments order by 1",
    "enrollments": "select enrollment_id, user_id, course_id, status, enrolled_at, completed_at, "
    "unregistered_at, outcome from enrollments order by enrollment_id",
    "attempts": "select attempt_id, assessment_id, user_id, enrollment_id, attempt_number, started_at, "
    "submitted_at, score_scaled from assessment_attempts order by attempt_id",
    "events": "select * from learner_events order by event_id",
    "abilities": "select * from truth.learner_skill_ability order by 1, 2",
    "tastes": "select * from truth.learner_taste order by 1",
    "course_tastes": "select * from truth.course_taste order by 1",
    "items": "select * from truth.question_items order by 1",
    "questions": "select question_id, course_id, skill_id, question_type, prompt, options, answer_key, "
    "difficulty, discrimination from questions order by 1",
    "quiz_questions": "select * from assessment_questions order by 1, 3",
    "attempt_items": "select * from attempt_items order by 1, 3",
    "dropouts": "select * from truth.dropouts order by 1",
}


def snapshot(url: str, config: GeneratorConfig) -> dict[str, list[tuple[Any, ...]]]:
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
    assert len(first["events"]) > len(first["attempts"]) > len(first["enrollments"]) > 120
    assert all(first[name] for name in CONTENT), [name for name in CONTENT if not first[name]]

    other = snapshot(database_factory(), replace(SMALL, seed=12))
    assert other["users"] != first["users"] and other["events"] != first["events"]


@pytest.fixture(scope="module")
def study(database_factory: Callable[[], str]) -> Iterator[psycopg.Connection]:
    """One committed history for the checks below, read through one connection."""
    url = libpq_url(database_factory())
    with psycopg.connect(url) as conn:
        counts = generate(conn, STUDY)
        conn.commit()
        assert counts.events > 50_000 and counts.dropouts > 100
        yield conn


def one(conn: psycopg.Connection, query: str) -> Any:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def test_every_enrollment_tells_a_consistent_story(study: psycopg.Connection) -> None:
    conn = study
    assert one(conn, "select count(*) from learner_events where verb = 'registered'") == one(
        conn, "select count(*) from enrollments"
    )
    first, last = one(conn, "select min(occurred_at)::date, max(occurred_at)::date from learner_events")
    assert first >= date(2026, 3, 3) and last <= date(2026, 5, 31)
    # Registration comes first; nothing follows leaving a course.
    assert one(conn, """
        select count(*) from learner_events v join enrollments e on e.enrollment_id = v.registration
        where v.occurred_at < e.enrolled_at or v.occurred_at > coalesce(e.unregistered_at, 'infinity')
        """) == 0  # fmt: skip
    # Completed courses have every lesson completed and the course completed at completed_at. Counted per
    # course and per enrollment first: a count of events correlated with each enrollment scanned the events
    # once per completed enrollment (35 s here).
    assert one(conn, """
        with course_lessons as (
            select course_id, count(*) as lessons from lessons group by course_id
        ), completed_lessons as (
            select registration, count(*) as lessons from learner_events
            where verb = 'completed' and object_type = 'lesson' group by registration
        )
        select count(*) from enrollments e
        left join course_lessons c using (course_id)
        left join completed_lessons l on l.registration = e.enrollment_id
        where e.status = 'completed' and (
            coalesce(c.lessons, 0) <> coalesce(l.lessons, 0)
            or not exists (select from learner_events v where v.registration = e.enrollment_id
                           and v.verb = 'completed' and v.object_type = 'course'
                           and v.occurred_at = e.completed_at))
        """) == 0  # fmt: skip
    # Dropouts: the truth, the enrollment and the unregistered event agree.
    assert one(conn, """
        select count(*) from enrollments e full join truth.dropouts d using (enrollment_id)
        left join learner_events v on v.registration = e.enrollment_id and v.verb = 'unregistered'
        where e.status = 'dropped' is distinct from (d.enrollment_id is not null)
           or (d.enrollment_id is not null
               and (d.dropped_at <> e.unregistered_at or v.occurred_at <> d.dropped_at))
        """) == 0  # fmt: skip
    # Each graded attempt has its attempted and passed/failed events and one answer per question of the quiz.
    assert one(conn, """
        with answers as (
            select registration, object_id, attempt, count(*) as answered from learner_events
            where verb = 'answered' group by 1, 2, 3
        ), quiz_answers as (
            select a.registration, q.assessment_id, a.attempt, count(*) as answered, sum(a.answered) as total
            from answers a join truth.question_items q on q.question_id::text = a.object_id group by 1, 2, 3
        )
        select count(*) from assessment_attempts t
        left join quiz_answers qa on qa.registration = t.enrollment_id and qa.assessment_id = t.assessment_id
            and qa.attempt = t.attempt_number
        left join learner_events r on r.registration = t.enrollment_id and r.object_id = t.assessment_id::text
            and r.attempt = t.attempt_number and r.verb in ('passed', 'failed')
        where qa.answered is distinct from (select count(*) from truth.question_items q
                                             where q.assessment_id = t.assessment_id)
           or qa.total <> qa.answered or r.score_scaled is distinct from t.score_scaled
           or r.occurred_at <> t.submitted_at
        """) == 0  # fmt: skip
    assert one(conn, "select count(*) from learner_events where verb = 'attempted'") == one(
        conn, "select count(*) from assessment_attempts"
    )


def test_the_item_bank_and_attempt_items_are_the_simulated_quizzes(study: psycopg.Connection) -> None:
    conn = study
    # The bank holds the truth's items, in the same quizzes, courses, skills and positions; its difficulty
    # is an author's estimate near the hidden one, and its discrimination the uncalibrated default.
    assert one(conn, """
        select count(*) from truth.question_items t
        full join questions q using (question_id)
        left join assessment_questions a using (question_id)
        where q.course_id is distinct from t.course_id or q.skill_id is distinct from t.skill_id
           or a.assessment_id is distinct from t.assessment_id or a.position is distinct from t.position
           or abs(q.difficulty - t.difficulty) > 2.5 or q.discrimination <> 1
        """) == 0  # fmt: skip
    error = one(conn, """
        select avg(abs(q.difficulty - t.difficulty)), corr(q.difficulty, t.difficulty)
        from questions q join truth.question_items t using (question_id)
        """)  # fmt: skip
    assert 0.2 < error[0] < 0.6 and error[1] > 0.6, error
    # One attempt item per answered event: same learner, attempt, question, time and grade.
    assert one(conn, """
        select count(*) from learner_events v
        full join (
            select i.*, t.user_id, t.enrollment_id, t.attempt_number, t.started_at from attempt_items i
            join assessment_attempts t using (attempt_id)
        ) i on i.question_id::text = v.object_id and i.enrollment_id = v.registration
            and i.attempt_number = v.attempt
        where (v.verb = 'answered' or v.verb is null)
          and (i.attempt_id is null or v.event_id is null or i.user_id <> v.actor_id
               or i.answered_at <> v.occurred_at or i.is_correct <> v.success
               or i.served_at >= i.answered_at or i.served_at < i.started_at)
        """) == 0  # fmt: skip
    assert one(conn, "select count(*) from attempt_items") == one(
        conn, "select count(*) from learner_events where verb = 'answered'"
    )
    # An attempt's score is the share of its items answered right; the response is the key exactly then.
    assert one(conn, """
        select count(*) from assessment_attempts t join (
            select attempt_id, avg(is_correct::int) as share, count(*) as items,
                   bool_and(is_correct = (response->>'value' = answer_key->'correct_options'->>0)) as graded
            from attempt_items join questions using (question_id) group by attempt_id
        ) i using (attempt_id)
        where abs(i.share - t.score_scaled) > 1e-9 or not i.graded
        """) == 0  # fmt: skip


def test_taste_drives_the_choice_of_courses(study: psycopg.Connection) -> None:
    learners = dict(study.execute("select learner_id, taste from truth.learner_taste").fetchall())
    courses = dict(study.execute("select course_id, taste from truth.course_taste").fetchall())
    pairs = study.execute("select user_id, course_id from enrollments").fetchall()
    chosen = np.mean([np.dot(learners[learner], courses[course]) for learner, course in pairs])
    anyone = np.mean([np.dot(taste, other) for taste in learners.values() for other in courses.values()])
    assert len(next(iter(learners.values()))) == STUDY.taste_factors
    assert chosen > anyone + 1.5, (chosen, anyone)


def answers(conn: psycopg.Connection) -> dict[str, np.ndarray]:
    """Answered events in time order with the truth about their item and the learner's ability."""
    rows = conn.execute("""
        select v.actor_id, q.skill_id, v.success, q.difficulty, q.discrimination, a.initial_theta
        from learner_events v
        join truth.question_items q on q.question_id::text = v.object_id
        join truth.learner_skill_ability a on a.learner_id = v.actor_id and a.skill_id = q.skill_id
        where v.verb = 'answered' order by v.occurred_at
        """).fetchall()  # fmt: skip
    actor, skill, success, difficulty, discrimination, theta = zip(*rows, strict=True)
    order: dict[tuple[Any, Any], int] = defaultdict(int)
    rank = []
    for pair in zip(actor, skill, strict=True):
        rank.append(order[pair])
        order[pair] += 1
    return {
        "success": np.array(success, dtype=float),
        "expected": 1 / (1 + np.exp(-np.array(discrimination) * (np.array(theta) - np.array(difficulty)))),
        "difficulty": np.array(difficulty),
        "rank": np.array(rank),
    }


def test_answers_follow_the_items_and_ability_grows_with_practice(study: psycopg.Connection) -> None:
    seen = answers(study)
    easy = seen["difficulty"] < np.quantile(seen["difficulty"], 1 / 3)
    hard = seen["difficulty"] > np.quantile(seen["difficulty"], 2 / 3)
    assert seen["success"][easy].mean() > seen["success"][hard].mean() + 0.2
    # Learners answer better than their initial ability predicts, and more so the more they practised:
    # a little at their first answers on a skill (after its lessons), clearly after a dozen answers.
    surprise = seen["success"] - seen["expected"]
    early, late = surprise[seen["rank"] < 3], surprise[seen["rank"] >= 15]
    assert 0 < early.mean() < late.mean() - 0.08, (early.mean(), late.mean())
    formula = one(study, """
        select max(abs(final_theta - initial_theta - learning_rate * ln(1 + practice)))
        from truth.learner_skill_ability
        """)  # fmt: skip
    assert formula < 1e-9


def test_learners_mostly_take_prerequisites_first(study: psycopg.Connection) -> None:
    respected, total = one(study, """
        select count(*) filter (where exists (
                   select from enrollments p where p.user_id = e.user_id
                   and p.course_id = r.prerequisite_course_id and p.completed_at < e.enrolled_at)),
               count(*)
        from enrollments e join course_prerequisites r using (course_id)
        """)  # fmt: skip
    assert total > 200 and respected / total > 0.85, (respected, total)


def test_failing_a_quiz_makes_dropping_out_likelier(study: psycopg.Connection) -> None:
    rates = dict(study.execute("""
        with steps as (
            select verb, object_type, lead(verb) over (partition by registration order by occurred_at) as next
            from learner_events where verb in ('completed', 'passed', 'failed', 'unregistered')
        )
        select verb = 'failed', avg((next = 'unregistered')::int)
        from steps where verb in ('failed', 'passed') or (verb = 'completed' and object_type = 'lesson')
        group by 1
        """).fetchall())  # fmt: skip
    assert rates[True] > 2 * rates[False], rates


def test_study_has_weekly_daily_and_streaky_rhythms(study: psycopg.Connection) -> None:
    by_weekday = dict(
        study.execute(
            "select extract(isodow from occurred_at)::int, count(*) from learner_events group by 1"
        ).fetchall()
    )
    weekday = np.mean([by_weekday[day] for day in range(1, 6)])
    weekend = np.mean([by_weekday[6], by_weekday[7]])
    assert weekday > 1.05 * weekend, by_weekday
    evening, night = one(study, """
        select count(*) filter (where extract(hour from occurred_at) between 17 and 21),
               count(*) filter (where extract(hour from occurred_at) between 1 and 5)
        from learner_events where verb = 'experienced'
        """)  # fmt: skip
    assert evening > 3 * night
    # Streaks: having studied yesterday makes studying today likelier than not having studied.
    days = defaultdict(set)
    for actor, day in study.execute(
        "select distinct actor_id, (occurred_at at time zone 'UTC')::date from learner_events "
        "where verb = 'experienced'"
    ).fetchall():
        days[actor].add(day.toordinal())
    after_study, after_rest = [], []
    for active in days.values():
        for day in range(min(active) + 1, max(active) + 1):
            (after_study if day - 1 in active else after_rest).append(day in active)
    assert np.mean(after_study) > np.mean(after_rest) + 0.1, (np.mean(after_study), np.mean(after_rest))


def test_generate_command_shows_progress_and_prints_counts(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", fresh_database)
    monkeypatch.setenv("SKILLSTUDIO_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        arguments = ["generate", "--learners", "60", "--courses", "8", "--days", "20", "--seed", "3"]
        result = CliRunner().invoke(app, [*arguments, "--end-date", "2026-06-30"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output.strip().splitlines()[-1])
    assert "events written" in result.output
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        assert counts["users"] == 60 == one(conn, "select count(*) from users")
        assert counts["events"] == one(conn, "select count(*) from learner_events") > 0
        assert one(conn, "select seed from truth.generations") == 3
