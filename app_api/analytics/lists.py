"""Pages of mart rows: course summaries in a chosen order, a course's runs and its lesson funnel."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from app_api.analytics.marts import Marts
from app_api.analytics.periods import ratio
from app_api.analytics.schemas import (
    CourseRatings,
    CourseRunSummary,
    CourseSummary,
    CourseSummaryPage,
    CourseSummaryRead,
    FunnelPage,
    FunnelStep,
    QuestionStats,
    QuestionStatsPage,
)
from app_api.common.pagination import keyset, page_of, parse_cursor


class CourseSort(StrEnum):
    most_enrollments = "-enrollments"
    fewest_enrollments = "enrollments"
    highest_completion_rate = "-completion_rate"
    lowest_completion_rate = "completion_rate"


SUMMARY_FIELDS = tuple(name for name in CourseSummary.model_fields if name != "ratings")


def _summary(row: Any) -> dict[str, Any]:
    """A summary row's fields; a course-level row (no run) has its reviews."""
    fields = {name: row[name] for name in SUMMARY_FIELDS}
    if row["course_run_id"] is None:
        fields["ratings"] = CourseRatings(
            review_count=row["review_count"] or 0,
            average_rating=row["average_rating"],
            stars={str(stars): row[f"rating_{stars}_count"] or 0 for stars in range(1, 6)},
        )
    return fields


def course_summaries(
    session: Session,
    marts: Marts,
    *,
    list_name: str,
    course_ids: Collection[uuid.UUID] | None,
    sort: CourseSort,
    cursor: str | None,
    limit: int,
) -> CourseSummaryPage:
    """Course-level rows of ``fct_course_summary`` (all of them, or ``course_ids``) in ``sort`` order.

    A course without a completion rate (no enrollment) sorts as if its rate were -1: last when the highest
    rates come first. Ties go by course id, in the same direction.
    """
    summary, courses = marts.course_summary, marts.courses
    by_rate = sort in (CourseSort.highest_completion_rate, CourseSort.lowest_completion_rate)
    key = cast(func.coalesce(summary.c.completion_rate, -1), Float) if by_rate else summary.c.enrollments
    descending = sort.value.startswith("-")
    tag = f"{list_name}:{sort.value.replace('_', '-')}"
    after = parse_cursor(cursor, tag=tag, kinds=(float if by_rate else int, uuid.UUID))
    statement = (
        select(summary, courses.c.course_title, key.label("sort_key"))
        .join(courses, courses.c.course_id == summary.c.course_id)
        .where(summary.c.course_run_id.is_(None))
    )
    if course_ids is not None:
        statement = statement.where(summary.c.course_id.in_(list(course_ids)))
    statement = keyset(
        statement, columns=(key, summary.c.course_id), after=after, limit=limit, descending=descending
    )
    rows = session.execute(statement).mappings().all()
    items, next_cursor = page_of(
        rows, limit=limit, tag=tag, key_of=lambda row: [row["sort_key"], row["course_id"]]
    )
    return CourseSummaryPage(
        items=[
            CourseSummaryRead(
                course_id=row["course_id"],
                title=row["course_title"],
                as_of_date=row["as_of_date"],
                **_summary(row),
            )
            for row in items
        ],
        next_cursor=next_cursor,
    )


def course_summary(
    session: Session, marts: Marts, *, course_id: uuid.UUID
) -> tuple[Any, CourseSummary, list[CourseRunSummary]]:
    """(as_of_date, the course's summary, its runs' by start); zeros for a course the marts lack so far."""
    summary, runs = marts.course_summary, marts.course_runs
    rows = (
        session.execute(
            select(summary, runs.c.course_run_code, runs.c.starts_on, runs.c.ends_on)
            .outerjoin(runs, runs.c.course_run_id == summary.c.course_run_id)
            .where(summary.c.course_id == course_id)
            .order_by(runs.c.starts_on.nulls_first(), summary.c.course_run_id.nulls_first())
        )
        .mappings()
        .all()
    )
    course_row = next((row for row in rows if row["course_run_id"] is None), None)
    as_of = (
        course_row["as_of_date"]
        if course_row is not None
        else session.scalar(select(func.max(summary.c.as_of_date)))
    )
    empty = {name: 0 for name in SUMMARY_FIELDS} | {
        "completion_rate": None,
        "median_days_to_complete": None,
        "dropout_rate": None,
        "average_assessment_score": None,
    }
    return (
        as_of,
        CourseSummary(**(_summary(course_row) if course_row is not None else empty)),
        [
            CourseRunSummary(
                course_run_id=row["course_run_id"],
                course_run_code=row["course_run_code"],
                starts_on=row["starts_on"],
                ends_on=row["ends_on"],
                **_summary(row),
            )
            for row in rows
            if row["course_run_id"] is not None
        ],
    )


def lesson_funnel(
    session: Session, marts: Marts, *, course_id: uuid.UUID, cursor: str | None, limit: int
) -> FunnelPage:
    funnel, lessons = marts.lesson_funnel, marts.lessons
    tag = "analytics-funnel"
    after = parse_cursor(cursor, tag=tag, kinds=(int,))
    statement = (
        select(funnel, lessons.c.lesson_title)
        .outerjoin(lessons, lessons.c.lesson_id == funnel.c.lesson_id)
        .where(funnel.c.course_id == course_id)
    )
    statement = keyset(statement, columns=(funnel.c.lesson_number,), after=after, limit=limit)
    rows = session.execute(statement).mappings().all()
    items, next_cursor = page_of(rows, limit=limit, tag=tag, key_of=lambda row: [row["lesson_number"]])
    return FunnelPage(
        course_id=course_id,
        items=[
            FunnelStep(
                lesson_id=row["lesson_id"],
                lesson_number=row["lesson_number"],
                title=row["lesson_title"],
                module_id=row["module_id"],
                learners_reached=row["learners_reached"],
                learners_completed=row["learners_completed"],
                learners_left_after=row["learners_left_after"],
                completion_share=ratio(row["learners_completed"], row["learners_reached"]),
            )
            for row in items
        ],
        next_cursor=next_cursor,
    )


# Above any correlation: questions without a discrimination come after every one that has one.
_NO_DISCRIMINATION = 2.0


def question_stats(
    session: Session,
    marts: Marts,
    *,
    course_id: uuid.UUID,
    flagged: bool | None,
    cursor: str | None,
    limit: int,
) -> QuestionStatsPage:
    """The course's answered questions, worst discrimination first (none last), then by question id."""
    stats = marts.question_stats
    tag = "analytics-questions"
    after = parse_cursor(cursor, tag=tag, kinds=(float, uuid.UUID))
    key = cast(func.coalesce(stats.c.discrimination, _NO_DISCRIMINATION), Float)
    statement = select(stats, key.label("sort_key")).where(stats.c.course_id == course_id)
    if flagged is not None:
        statement = statement.where(stats.c.review_flag.is_(flagged))
    statement = keyset(statement, columns=(key, stats.c.question_id), after=after, limit=limit)
    rows = session.execute(statement).mappings().all()
    items, next_cursor = page_of(
        rows, limit=limit, tag=tag, key_of=lambda row: [row["sort_key"], row["question_id"]]
    )
    fields = QuestionStats.model_fields
    return QuestionStatsPage(
        course_id=course_id,
        items=[QuestionStats(**{name: row[name] for name in fields}) for row in items],
        next_cursor=next_cursor,
    )
