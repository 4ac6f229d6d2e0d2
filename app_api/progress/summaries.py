"""Progress arithmetic: per enrollment, per learner and per course, each in a single grouped query.

A course's *required set* is its lessons marked required, or all its lessons when none is marked. Course
percent is the mean lesson percent over the required set (a lesson not started counts 0), so partial
progress shows; completion needs every lesson of the required set completed.

Lessons and enrollments come from their domains as plain columns (``courses.lesson_rows``,
``enrollments.enrollment_rows``), joined here as subqueries that PostgreSQL flattens into the same plans.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Subquery, and_, case, func, select
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.enrollments.schemas import EnrollmentRead
from app_api.progress.models import LessonProgress
from app_api.progress.schemas import (
    CourseProgressAggregateRead,
    CourseProgressRead,
    LessonFunnelPage,
    LessonFunnelRead,
)


def _lessons() -> Subquery:
    return courses.lesson_rows().subquery("lesson")


def _enrollments() -> Subquery:
    return enrollments.enrollment_rows().subquery("enrollment")


def _percent(required: int, required_sum: int, total: int, total_sum: int) -> float:
    if required:
        return round(required_sum / required, 1)
    return round(total_sum / total, 1) if total else 0.0


def course_progress(session: Session, *, enrollments: Sequence[EnrollmentRead]) -> list[CourseProgressRead]:
    """The progress of each enrollment, in the given order."""
    ids = [enrollment.enrollment_id for enrollment in enrollments]
    progress, lesson, enrollment = LessonProgress, _lessons(), _enrollments()
    rows = session.execute(
        select(
            enrollment.c.enrollment_id,
            func.count(lesson.c.lesson_id),
            func.count(lesson.c.lesson_id).filter(lesson.c.is_required),
            func.count(progress.completed_at),
            func.count(progress.completed_at).filter(lesson.c.is_required),
            func.coalesce(func.sum(progress.percent).filter(lesson.c.is_required), 0),
            func.coalesce(func.sum(progress.percent), 0),
            func.coalesce(func.sum(progress.time_spent_s), 0.0),
        )
        .join(lesson, lesson.c.course_id == enrollment.c.course_id)
        .outerjoin(
            progress,
            and_(
                progress.enrollment_id == enrollment.c.enrollment_id, progress.lesson_id == lesson.c.lesson_id
            ),
        )
        .where(enrollment.c.enrollment_id.in_(ids))
        .group_by(enrollment.c.enrollment_id)
    ).all()
    by_id: dict[uuid.UUID, Any] = {row[0]: row[1:] for row in rows}
    reads = []
    for read in enrollments:
        total, required, done, required_done, required_sum, total_sum, seconds = by_id.get(
            read.enrollment_id, (0, 0, 0, 0, 0, 0, 0.0)
        )
        reads.append(
            CourseProgressRead(
                enrollment_id=read.enrollment_id,
                course_id=read.course_id,
                course_title=read.course_title,
                status=read.status,
                lessons_total=total,
                lessons_required=required or total,
                lessons_completed=done,
                required_completed=required_done if required else done,
                percent=_percent(required, required_sum, total, total_sum),
                time_spent_s=float(seconds),
                enrolled_at=read.enrolled_at,
                completed_at=read.completed_at,
            )
        )
    return reads


def is_course_complete(session: Session, *, enrollment: EnrollmentRead) -> bool:
    """Whether every lesson of the course's required set is completed in this enrollment."""
    lesson = _lessons()
    total, required, left, required_left = session.execute(
        select(
            func.count(),
            func.count().filter(lesson.c.is_required),
            func.count().filter(LessonProgress.completed_at.is_(None)),
            func.count().filter(lesson.c.is_required, LessonProgress.completed_at.is_(None)),
        )
        .select_from(lesson)
        .outerjoin(
            LessonProgress,
            and_(
                LessonProgress.lesson_id == lesson.c.lesson_id,
                LessonProgress.enrollment_id == enrollment.enrollment_id,
            ),
        )
        .where(lesson.c.course_id == enrollment.course_id)
    ).one()
    if required:
        return bool(required_left == 0)
    return bool(total and left == 0)


def learner_totals(session: Session, *, user_id: uuid.UUID) -> dict[str, Any]:
    enrollment = _enrollments()
    by_status: dict[str, int] = dict(
        session.execute(
            select(enrollment.c.status, func.count())
            .where(enrollment.c.user_id == user_id)
            .group_by(enrollment.c.status)
        ).all()
    )
    completed, seconds = session.execute(
        select(
            func.count(LessonProgress.completed_at), func.coalesce(func.sum(LessonProgress.time_spent_s), 0.0)
        )
        .join(enrollment, enrollment.c.enrollment_id == LessonProgress.enrollment_id)
        .where(enrollment.c.user_id == user_id)
    ).one()
    return {
        "enrollments_active": by_status.get("active", 0),
        "enrollments_completed": by_status.get("completed", 0),
        "enrollments_dropped": by_status.get("dropped", 0),
        "lessons_completed": completed,
        "time_spent_s": float(seconds),
    }


def course_aggregate(session: Session, *, course: courses.CourseFacts) -> CourseProgressAggregateRead:
    course_id = course.course_id
    lesson, enrollment = _lessons(), _enrollments()
    by_status: dict[str, int] = dict(
        session.execute(
            select(enrollment.c.status, func.count())
            .where(enrollment.c.course_id == course_id)
            .group_by(enrollment.c.status)
        ).all()
    )
    enrolled = sum(by_status.values())
    staying = enrolled - by_status.get("dropped", 0)
    total, required = session.execute(
        select(func.count(), func.count().filter(lesson.c.is_required)).where(lesson.c.course_id == course_id)
    ).one()
    counted = lesson.c.is_required if required else lesson.c.course_id == course_id
    totals: Any = session.execute(
        select(
            func.coalesce(func.sum(case((counted, LessonProgress.percent), else_=0)), 0),
            func.coalesce(func.sum(LessonProgress.time_spent_s), 0.0),
        )
        .join(lesson, lesson.c.lesson_id == LessonProgress.lesson_id)
        .join(enrollment, enrollment.c.enrollment_id == LessonProgress.enrollment_id)
        .where(enrollment.c.course_id == course_id, enrollment.c.status != "dropped")
    ).one()
    percent_sum, seconds = totals
    size = required or total
    return CourseProgressAggregateRead(
        course_id=course_id,
        title=course.title,
        enrollments_active=by_status.get("active", 0),
        enrollments_completed=by_status.get("completed", 0),
        enrollments_dropped=by_status.get("dropped", 0),
        completion_rate=round(by_status.get("completed", 0) / enrolled, 4) if enrolled else 0.0,
        mean_percent=round(percent_sum / (staying * size), 1) if staying and size else 0.0,
        mean_time_spent_s=round(float(seconds) / staying, 1) if staying else 0.0,
    )


def lesson_funnel(
    session: Session, *, course_id: uuid.UUID, cursor: str | None, limit: int
) -> LessonFunnelPage:
    """Per lesson, in course order: how many learners started and completed it, and their mean percent."""
    lesson = _lessons()
    described = (lesson.c.lesson_id, lesson.c.position, lesson.c.title, lesson.c.is_required)
    statement = (
        select(
            *described,
            func.count(LessonProgress.enrollment_id),
            func.count(LessonProgress.completed_at),
            func.coalesce(func.avg(LessonProgress.percent), 0),
        )
        .outerjoin(LessonProgress, LessonProgress.lesson_id == lesson.c.lesson_id)
        .where(lesson.c.course_id == course_id)
        .group_by(*described)
    )
    after = parse_cursor(cursor, tag="funnel", kinds=(int,))
    rows: list[Any] = list(
        session.execute(keyset(statement, columns=(lesson.c.position,), after=after, limit=limit))
    )
    items, next_cursor = page_of(rows, limit=limit, tag="funnel", key_of=lambda row: [row.position])
    return LessonFunnelPage(
        items=[
            LessonFunnelRead(
                lesson_id=lesson_id,
                position=position,
                title=title,
                is_required=is_required,
                learners_started=started,
                learners_completed=completed,
                mean_percent=round(float(mean), 1),
            )
            for lesson_id, position, title, is_required, started, completed, mean in items
        ],
        next_cursor=next_cursor,
    )
