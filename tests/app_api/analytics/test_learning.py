"""A course's question statistics and a learner's study series, checked against recomputations from raw
attempt items and events (``tests.dbt.learner_expectations``)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.app_api.analytics.conftest import Analytics, instructor
from tests.dbt import learner_expectations as expect
from tests.warehouses import INSTRUCTORS

# ---- GET /analytics/courses/{id}/questions


def _course_with_most_questions(analytics: Analytics) -> uuid.UUID:
    [(course_id,)] = analytics.warehouse.rows(
        "select course_id from analytics.fct_question_stats where course_id in "
        f"(select course_id from courses where instructor_id = '{INSTRUCTORS[0][0]}') "
        "group by course_id order by count(*) desc, 1 limit 1"
    )
    return course_id  # type: ignore[no-any-return]


def _stats(analytics: Analytics, course_id: uuid.UUID) -> dict[str, tuple[Any, ...]]:
    return {
        str(question_id): row
        for question_id, row in expect.fct_question_stats(analytics.warehouse).items()
        if row[0] == course_id
    }


def test_questions_come_worst_discrimination_first_with_their_figures(generated: Analytics) -> None:
    course_id = _course_with_most_questions(generated)
    expected = _stats(generated, course_id)
    items = generated.every_page(f"/courses/{course_id}/questions", limit=3)
    assert {item["question_id"] for item in items} == set(expected)
    assert len(items) == len(expected) > 3
    for item in items:
        _, skill_id, question_type, difficulty, attempts, learners, correct, share, _, disc, flag, reason = (
            expected[item["question_id"]]
        )
        assert (item["skill_id"], item["question_type"], item["difficulty"]) == (
            str(skill_id),
            question_type,
            None if difficulty is None else float(difficulty),
        )
        assert (item["attempts"], item["learners"], item["correct_answers"]) == (attempts, learners, correct)
        assert item["correct_share"] == float(share)
        assert (item["review_flag"], item["review_reason"]) == (flag, reason)
        assert (item["discrimination"] is None) == (disc is None)
        if disc is not None:
            assert abs(item["discrimination"] - disc) <= 0.00005
    keys = [(2.0 if item["discrimination"] is None else item["discrimination"]) for item in items]
    assert keys == sorted(keys)


@pytest.mark.parametrize("flagged", [True, False])
def test_the_flagged_filter(generated: Analytics, flagged: bool) -> None:
    course_id = _course_with_most_questions(generated)
    expected = {
        question_id for question_id, row in _stats(generated, course_id).items() if row[10] is flagged
    }
    items = generated.every_page(f"/courses/{course_id}/questions", flagged=str(flagged).lower(), limit=2)
    assert {item["question_id"] for item in items} == expected
    assert all(item["review_flag"] is flagged for item in items)


def test_some_question_is_flagged_in_the_generated_history(generated: Analytics) -> None:
    flagged = generated.warehouse.rows("select count(*) from analytics.fct_question_stats where review_flag")
    assert flagged[0][0] > 0, "the flagged filter would test nothing"


def test_who_may_read_question_statistics(generated: Analytics, a_learner: uuid.UUID) -> None:
    course_id = _course_with_most_questions(generated)
    path = f"/courses/{course_id}/questions"
    assert generated.get(path, as_=instructor(0)).status_code == 200
    assert generated.get(path, as_=instructor(1)).status_code == 403
    assert generated.get(path, as_=(a_learner, "learner")).status_code == 403
    assert generated.get(f"/courses/{uuid.uuid4()}/questions").status_code == 404
    page = generated.ok(f"/courses/{course_id}/funnel", limit=1)
    response = generated.get(path, cursor=page["next_cursor"])
    assert response.status_code == 400 and "another list" in response.json()["detail"]


# ---- GET /analytics/learners/{id}


def _busiest_learner(analytics: Analytics) -> uuid.UUID:
    [(learner_id,)] = analytics.warehouse.rows(
        "select learner_id from analytics.fct_learner_daily group by learner_id "
        "order by max(current_streak_days) desc, count(*) desc, 1 limit 1"
    )
    return learner_id  # type: ignore[no-any-return]


def _learner_days(analytics: Analytics, learner_id: uuid.UUID) -> dict[date, tuple[Any, ...]]:
    return {
        day: row
        for (learner, day), row in expect.fct_learner_daily(analytics.warehouse).items()
        if learner == learner_id
    }


def _expected(days: dict[date, tuple[Any, ...]], start: date, end: date) -> dict[str, Any]:
    span = [start + timedelta(n) for n in range((end - start).days + 1)]
    rows = [days[day] for day in span if day in days]
    answers, correct = sum(row[2] for row in rows), sum(row[3] for row in rows)
    return {
        "active_days": len(rows),
        "events": sum(row[0] for row in rows),
        "lessons_completed": sum(row[1] for row in rows),
        "answers": answers,
        "correct_answers": correct,
        "correct_share": round(correct / answers, 4) if answers else None,
        "minutes": float(sum((row[4] for row in rows), Decimal(0))),
        "courses_active": round(sum(row[5] for row in rows) / len(span), 2),
        "streak_days": days[end][6] if end in days else 0,
    }


def test_a_learners_series_by_week_and_totals(generated: Analytics) -> None:
    learner_id = _busiest_learner(generated)
    days = _learner_days(generated, learner_id)
    start, end = date(2026, 8, 3), date(2026, 8, 30)
    body = generated.ok(
        f"/learners/{learner_id}", **{"from": str(start), "to": str(end), "granularity": "week"}
    )
    assert [item["start"] for item in body["periods"]] == [
        "2026-08-03",
        "2026-08-10",
        "2026-08-17",
        "2026-08-24",
    ]
    for item in body["periods"]:
        period = (date.fromisoformat(item["start"]), date.fromisoformat(item["end"]))
        assert {k: v for k, v in item.items() if k not in ("start", "end", "days")} == _expected(
            days, *period
        )
    assert body["totals"] == _expected(days, start, end)
    assert body["totals"]["answers"] > 0 and body["totals"]["minutes"] > 0


def test_a_learners_current_streak_and_default_range(generated: Analytics) -> None:
    learner_id = _busiest_learner(generated)
    days = _learner_days(generated, learner_id)
    [(last,)] = generated.warehouse.rows("select max(activity_date) from analytics.fct_learner_daily")
    body = generated.ok(f"/learners/{learner_id}", as_=(learner_id, "learner"))
    assert body["range"] == {
        "from": str(last - timedelta(29)),
        "to": str(last),
        "granularity": "day",
        "days": 30,
    }
    last_active = max(days)
    assert body["last_active_on"] == str(last_active)
    expected = days[last_active][6] if (last - last_active).days <= 1 else 0
    assert body["current_streak_days"] == expected
    assert [item["streak_days"] for item in body["periods"]] == [
        days[day][6] if day in days else 0 for day in (last - timedelta(29 - n) for n in range(30))
    ]


def test_who_may_read_a_learners_analytics(generated: Analytics, a_learner: uuid.UUID) -> None:
    other = _busiest_learner(generated)
    assert other != a_learner
    assert generated.get(f"/learners/{a_learner}", as_=(a_learner, "learner")).status_code == 200
    assert generated.get(f"/learners/{other}", as_=(a_learner, "learner")).status_code == 403
    assert generated.get(f"/learners/{other}", as_=instructor(0)).status_code == 403
    assert generated.get(f"/learners/{other}").status_code == 200
    assert generated.get(f"/learners/{uuid.uuid4()}").status_code == 404
    response = generated.get(f"/learners/{other}", **{"from": "2026-08-20", "to": "2026-08-01"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["query.from"]
