"""Series of periods read from the daily marts: the platform's and a course's, with their totals."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app_api.analytics.marts import Marts, day_bounds
from app_api.analytics.periods import (
    Aggregate,
    Granularity,
    Period,
    aggregate,
    change_percent,
    periods,
    previous,
    ratio,
    resolve_range,
)
from app_api.analytics.schemas import (
    CourseFigures,
    CoursePeriod,
    LearnerAnalytics,
    LearnerFigures,
    LearnerPeriod,
    PlatformChange,
    PlatformFigures,
    PlatformPeriod,
    PlatformSeries,
    Span,
)

PLATFORM_METRICS = {
    "dau": Aggregate.mean,
    "wau": Aggregate.last,
    "mau": Aggregate.last,
    "new_learners": Aggregate.sum,
    "enrollments": Aggregate.sum,
    "drops": Aggregate.sum,
    "lesson_completions": Aggregate.sum,
    "course_completions": Aggregate.sum,
    "quiz_attempts": Aggregate.sum,
    "quiz_passes": Aggregate.sum,
    "active_courses": Aggregate.mean,
}
COURSE_METRICS = {
    "active_learners": Aggregate.mean,
    "enrollments": Aggregate.sum,
    "drops": Aggregate.sum,
    "lesson_completions": Aggregate.sum,
    "completions": Aggregate.sum,
    "assessment_attempts": Aggregate.sum,
    "assessments_passed": Aggregate.sum,
    "scored_assessment_attempts": Aggregate.sum,
    # Each day's mean score times its scored attempts, so that a period's mean weighs days by attempts.
    "score_points": Aggregate.sum,
}
LEARNER_METRICS = {
    "active_days": Aggregate.sum,
    "events": Aggregate.sum,
    "lessons_completed": Aggregate.sum,
    "answers": Aggregate.sum,
    "correct_answers": Aggregate.sum,
    "minutes": Aggregate.sum,
    "courses_active": Aggregate.mean,
    "current_streak_days": Aggregate.last,
}


def span_of(period: Period, granularity: Granularity) -> Span:
    return Span(from_=period.start, to=period.end, granularity=granularity, days=period.days)


def _daily(session: Session, statement: Any) -> dict[date, dict[str, Any]]:
    return {row["activity_date"]: dict(row) for row in session.execute(statement).mappings()}


def platform_series(
    session: Session, marts: Marts, *, start: date | None, end: date | None, granularity: Granularity
) -> PlatformSeries:
    daily_table = marts.platform_daily
    first, last = day_bounds(session, daily_table)
    span = resolve_range(start=start, end=end, granularity=granularity, bounds=(first, last))
    before: Period | None = previous(span)
    if before is not None and before.start < first:
        before = None
    read_from = before.start if before is not None else span.start
    daily = _daily(
        session,
        select(daily_table).where(daily_table.c.activity_date.between(read_from, span.end)),
    )

    def figures(period: Period) -> dict[str, Any]:
        found = aggregate(daily, period, PLATFORM_METRICS)
        # Summed passes over summed attempts: the days' rates are not averaged.
        return {**found, "quiz_pass_rate": ratio(found["quiz_passes"], found["quiz_attempts"])}

    totals = figures(span)
    previous_totals = figures(before) if before is not None else None
    return PlatformSeries(
        range=span_of(span, granularity),
        periods=[
            PlatformPeriod(start=period.start, end=period.end, days=period.days, **figures(period))
            for period in periods(span, granularity)
        ],
        totals=PlatformFigures(**totals),
        previous_range=None if before is None else span_of(before, granularity),
        previous_totals=None if previous_totals is None else PlatformFigures(**previous_totals),
        change_percent=PlatformChange(
            **{
                name: change_percent(totals[name], None if previous_totals is None else previous_totals[name])
                for name in PlatformChange.model_fields
            }
        ),
        first_day=first,
        last_day=last,
    )


def _course_figures(daily: dict[date, dict[str, Any]], period: Period) -> dict[str, Any]:
    figures = aggregate(daily, period, COURSE_METRICS)
    scored = figures.pop("scored_assessment_attempts")
    points = figures.pop("score_points")
    return {
        **figures,
        "pass_rate": ratio(figures["assessments_passed"], figures["assessment_attempts"]),
        "average_assessment_score": ratio(points, scored),
    }


def course_series(
    session: Session,
    marts: Marts,
    *,
    course_id: uuid.UUID,
    start: date | None,
    end: date | None,
    granularity: Granularity,
) -> tuple[Span, list[CoursePeriod], CourseFigures]:
    """The course's periods over the requested range; by default the 30 days to its last active day."""
    daily_table = marts.course_daily
    bounds = day_bounds(session, daily_table)
    last_active = session.scalar(
        select(func.max(daily_table.c.activity_date)).where(daily_table.c.course_id == course_id)
    )
    span = resolve_range(
        start=start, end=end, granularity=granularity, bounds=bounds, default_end=last_active
    )
    daily = _daily(
        session,
        select(daily_table).where(
            daily_table.c.course_id == course_id, daily_table.c.activity_date.between(span.start, span.end)
        ),
    )
    for row in daily.values():
        score = row["average_assessment_score"]
        row["score_points"] = 0.0 if score is None else float(score) * row["scored_assessment_attempts"]
    course_periods = [
        CoursePeriod(start=period.start, end=period.end, days=period.days, **_course_figures(daily, period))
        for period in periods(span, granularity)
    ]
    return span_of(span, granularity), course_periods, CourseFigures(**_course_figures(daily, span))


def _learner_figures(daily: dict[date, dict[str, Any]], period: Period) -> dict[str, Any]:
    figures = aggregate(daily, period, LEARNER_METRICS)
    return {
        **figures,
        "minutes": round(float(figures["minutes"]), 2),
        "streak_days": figures.pop("current_streak_days"),
        "correct_share": ratio(figures["correct_answers"], figures["answers"]),
    }


def learner_series(
    session: Session,
    marts: Marts,
    *,
    learner_id: uuid.UUID,
    start: date | None,
    end: date | None,
    granularity: Granularity,
) -> LearnerAnalytics:
    """The learner's periods over the range (by default the marts' last 30 days) and their current streak."""
    daily_table = marts.learner_daily
    first, last = day_bounds(session, daily_table)
    span = resolve_range(start=start, end=end, granularity=granularity, bounds=(first, last))
    daily = _daily(
        session,
        select(daily_table).where(
            daily_table.c.learner_id == learner_id, daily_table.c.activity_date.between(span.start, span.end)
        ),
    )
    for row in daily.values():
        row["active_days"] = 1
    latest = session.execute(
        select(daily_table.c.activity_date, daily_table.c.current_streak_days)
        .where(daily_table.c.learner_id == learner_id)
        .order_by(daily_table.c.activity_date.desc())
        .limit(1)
    ).one_or_none()
    last_active = None if latest is None else latest.activity_date
    alive = last_active is not None and (last - last_active).days <= 1
    return LearnerAnalytics(
        learner_id=learner_id,
        range=span_of(span, granularity),
        periods=[
            LearnerPeriod(
                start=period.start, end=period.end, days=period.days, **_learner_figures(daily, period)
            )
            for period in periods(span, granularity)
        ],
        totals=LearnerFigures(**_learner_figures(daily, span)),
        last_active_on=last_active,
        current_streak_days=latest.current_streak_days if alive and latest is not None else 0,
        first_day=first,
        last_day=last,
    )
