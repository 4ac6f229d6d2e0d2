"""The learner and item marts recomputed in Python from the raw rows of a warehouse's public schema.

Each function returns the rows its mart should hold, keyed by the mart's primary key, with the mart's other
columns in order. Thresholds and the session gap are the dbt vars of ``dbt_project.yml``. Rounding follows
the marts: numeric halves away from zero (ROUND_HALF_UP); discrimination is a float here (PostgreSQL's
``corr`` sums in another order), compared within a rounding step by the tests.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import yaml

from pipelines.defs.analytics.project import DBT_PROJECT_DIR
from tests.dbt.conftest import Warehouse

FOUR_PLACES, TWO_PLACES = Decimal("0.0001"), Decimal("0.01")
LEARNING_OBJECTS = frozenset({"course", "module", "lesson", "question", "assessment", "video", "discussion"})
AUTHORING_VERBS = frozenset({"created", "updated", "deleted"})

Row = tuple[Any, ...]


@cache
def dbt_vars() -> dict[str, Any]:
    return dict(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"])


@dataclass(frozen=True)
class Answer:
    attempt_id: uuid.UUID
    question_id: uuid.UUID
    item_position: int
    answered_at: datetime
    correct: bool
    learner_id: uuid.UUID
    assessment_id: uuid.UUID
    course_id: uuid.UUID
    skill_id: uuid.UUID


def answers(warehouse: Warehouse) -> list[Answer]:
    """Answered attempt items with their attempt's learner and their question's course and skill."""
    attempts = {
        attempt_id: (user_id, assessment_id)
        for attempt_id, user_id, assessment_id in warehouse.rows(
            "select attempt_id, user_id, assessment_id from public.assessment_attempts"
        )
    }
    questions = {
        question_id: (course_id, skill_id)
        for question_id, course_id, skill_id in warehouse.rows(
            "select question_id, course_id, skill_id from public.questions"
        )
    }
    return [
        Answer(attempt_id, question_id, position, at, correct, *attempts[attempt_id], *questions[question_id])
        for attempt_id, question_id, position, at, correct in warehouse.rows(
            "select attempt_id, question_id, position, answered_at, is_correct from public.attempt_items "
            "where answered_at is not null"
        )
    ]


def fct_skill_responses(warehouse: Warehouse) -> dict[tuple[uuid.UUID, uuid.UUID], Row]:
    """(attempt_id, question_id) → learner_id, skill_id, seq, answered_at, correct, course_id,
    assessment_id, item_position."""
    by_learner_skill: dict[tuple[uuid.UUID, uuid.UUID], list[Answer]] = defaultdict(list)
    for answer in answers(warehouse):
        by_learner_skill[(answer.learner_id, answer.skill_id)].append(answer)
    expected = {}
    for (learner_id, skill_id), answered in by_learner_skill.items():
        answered.sort(key=lambda a: (a.answered_at, a.attempt_id, a.item_position))
        for seq, a in enumerate(answered):
            expected[(a.attempt_id, a.question_id)] = (
                learner_id, skill_id, seq, a.answered_at, a.correct, a.course_id, a.assessment_id,
                a.item_position,
            )  # fmt: skip
    return expected


def point_biserial(scores: list[int], rest: list[float]) -> float | None:
    """Pearson correlation of 0/1 scores with rest scores; None unless both take two values or more."""
    if len(set(scores)) < 2 or len(set(rest)) < 2:
        return None
    n = len(scores)
    mean_x, mean_y = sum(scores) / n, sum(rest) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(scores, rest, strict=True))
    spread_x = math.sqrt(sum((x - mean_x) ** 2 for x in scores))
    spread_y = math.sqrt(sum((y - mean_y) ** 2 for y in rest))
    return covariance / (spread_x * spread_y)


def review_reason(attempts: int, share: Decimal, discrimination: float | None) -> str | None:
    limits = dbt_vars()
    if attempts < limits["question_review_min_attempts"]:
        return None
    if discrimination is not None and discrimination < 0:
        return "negative discrimination"
    if share < Decimal(str(limits["question_review_min_correct_share"])):
        return "too hard"
    if share > Decimal(str(limits["question_review_max_correct_share"])):
        return "too easy"
    if discrimination is not None and discrimination < limits["question_review_min_discrimination"]:
        return "low discrimination"
    return None


def fct_question_stats(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    """question_id → course_id, skill_id, question_type, difficulty, attempts, learners, correct_answers,
    correct_share, rest_scored_attempts, discrimination (float), review_flag, review_reason."""
    answered = answers(warehouse)
    by_attempt: dict[uuid.UUID, list[Answer]] = defaultdict(list)
    by_question: dict[uuid.UUID, list[Answer]] = defaultdict(list)
    for answer in answered:
        by_attempt[answer.attempt_id].append(answer)
        by_question[answer.question_id].append(answer)
    bank = {
        row[0]: row[1:]
        for row in warehouse.rows(
            "select question_id, course_id, skill_id, question_type, difficulty from public.questions"
        )
    }
    expected = {}
    for question_id, given in by_question.items():
        scores, rest = [], []
        for answer in given:
            others = [other for other in by_attempt[answer.attempt_id] if other.question_id != question_id]
            if others:
                scores.append(int(answer.correct))
                rest.append(sum(other.correct for other in others) / len(others))
        correct = sum(answer.correct for answer in given)
        share = (Decimal(correct) / len(given)).quantize(FOUR_PLACES, ROUND_HALF_UP)
        discrimination = point_biserial(scores, rest)
        reason = review_reason(len(given), share, discrimination)
        expected[question_id] = (
            *bank[question_id], len(given), len({a.learner_id for a in given}), correct, share, len(scores),
            discrimination, reason is not None, reason,
        )  # fmt: skip
    return expected


@dataclass(frozen=True)
class Event:
    actor_id: uuid.UUID
    occurred_at: datetime
    verb: str
    object_type: str
    object_id: str
    course_id: uuid.UUID | None
    success: bool | None

    @property
    def day(self) -> date:
        return self.occurred_at.astimezone(UTC).date()


def learning_events(warehouse: Warehouse) -> list[Event]:
    return [
        event
        for event in (
            Event(*row)
            for row in warehouse.rows(
                "select actor_id, occurred_at, verb, object_type, object_id, course_id, success "
                "from public.learner_events"
            )
        )
        if event.object_type in LEARNING_OBJECTS and event.verb not in AUTHORING_VERBS
    ]


def study_minutes(times: list[datetime]) -> Decimal:
    """Gaps between consecutive times summed where at most the session gap, in minutes to 2 places."""
    limit = timedelta(minutes=dbt_vars()["session_gap_minutes"])
    ordered = sorted(times)
    gaps = [later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False)]
    micros = sum(gap // timedelta(microseconds=1) for gap in gaps if gap <= limit)
    return (Decimal(micros) / Decimal(60_000_000)).quantize(TWO_PLACES, ROUND_HALF_UP)


def fct_learner_daily(warehouse: Warehouse) -> dict[tuple[uuid.UUID, date], Row]:
    """(learner_id, activity_date) → events, lessons_completed, answers, correct_answers, minutes,
    courses_active, current_streak_days."""
    by_day: dict[tuple[uuid.UUID, date], list[Event]] = defaultdict(list)
    for event in learning_events(warehouse):
        by_day[(event.actor_id, event.day)].append(event)
    expected: dict[tuple[uuid.UUID, date], Row] = {}
    for learner_id, day in sorted(by_day):
        happened = by_day[(learner_id, day)]
        answered = [e for e in happened if e.verb == "answered"]
        before = expected.get((learner_id, day - timedelta(days=1)))
        expected[(learner_id, day)] = (
            len(happened),
            len({e.object_id for e in happened if e.verb == "completed" and e.object_type == "lesson"}),
            len(answered),
            sum(e.success is True for e in answered),
            study_minutes([e.occurred_at for e in happened]),
            len({e.course_id for e in happened if e.course_id is not None}),
            before[-1] + 1 if before else 1,
        )
    return expected
