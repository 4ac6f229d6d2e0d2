"""Progress arithmetic: per enrollment, per learner and per course, each in a single grouped query.

A course's *required set* is its lessons marked required, or all its lessons when none is marked. Course
percent is the mean lesson percent over the required set (a lesson not started counts 0), so partial
progress shows; completion needs every lesson of the required set completed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses.models import Course, Lesson
from app_api.enrollments.models import Enrollment
from app_api.progress.models import LessonProgress
from app_api.progress.schemas import (
    CourseProgressAggregateRead,
    CourseProgressRead,
    LessonFunnelPage,
    LessonFunnelRead,
)


def _percent(required: int, required_sum: int, total: int, total_sum: int) -> float:
    if required:
        return round(required_sum / required, 1)
    return round(total_sum / total, 1) if total else 0.0


def course_progress(
    session: Session, *, enrollments: Sequence[tuple[Enrollment, str]]
) -> list[CourseProgressRead]:
    """The progress of each ``(enrollment, course title)``, in the given order."""
    ids = [enrollment.enrollment_id for enrollment, _ in enrollments]
    progress = LessonProgress
    rows = session.execute(
        select(
            Enrollment.enrollment_id,
            func.count(Lesson.lesson_id),
            func.count(Lesson.lesson_id).filter(Lesson.is_required),
            func.count(progress.completed_at),
            func.count(progress.completed_at).filter(Lesson.is_required),
            func.coalesce(func.sum(progress.percent).filter(Lesson.is_required), 0),
            func.coalesce(func.sum(progress.percent), 0),
            func.coalesce(func.sum(progress.time_spent_s), 0.0),
        )
        .join(Lesson, Lesson.course_id == Enrollment.course_id)
        .outerjoin(
            progress,
            and_(progress.enrollment_id == Enrollment.enrollment_id, progress.lesson_id == Lesson.lesson_id),
        )
        .where(Enrollment.enrollment_id.in_(ids))
        .group_by(Enrollment.enrollment_id)
    ).all()
    by_id: dict[uuid.UUID, Any] = {row[0]: row[1:] for row in rows}
    reads = []
    for enrollment, title in enrollments:
        total, required, done, required_done, required_sum, total_sum, seconds = by_id.get(
            enrollment.enrollment_id, (0, 0, 0, 0, 0, 0, 0.0)
        )
        reads.append(
            CourseProgressRead(
                enrollment_id=enrollment.enrollment_id,
                course_id=enrollment.course_id,
                course_title=title,
                status=enrollment.status,
                lessons_total=total,
                lessons_required=required or total,
                lessons_completed=done,
                required_completed=required_done if required else done,
                percent=_percent(required, required_sum, total, total_sum),
                time_spent_s=float(seconds),
                enrolled_at=enrollment.enrolled_at,
                completed_at=enrollment.completed_at,
            )
        )
    return reads


def is_course_complete(session: Session, *, enrollment: Enrollment) -> bool:
    """Whether every lesson of the course's required set is completed in this enrollment."""
    total, required, left, required_left = session.execute(
        select(
            func.count(),
            func.count().filter(Lesson.is_required),
            func.count().filter(LessonProgress.completed_at.is_(None)),
            func.count().filter(Lesson.is_required, LessonProgress.completed_at.is_(None)),
        )
        .select_from(Lesson)
        .outerjoin(
            LessonProgress,
            and_(
                LessonProgress.lesson_id == Lesson.lesson_id,
                LessonProgress.enrollment_id == enrollment.enrollment_id,
            ),
        )
        .where(Lesson.course_id == enrollment.course_id)
    ).one()
    if required:
        return bool(required_left == 0)
    return bool(total and left == 0)


def learner_totals(session: Session, *, user_id: uuid.UUID) -> dict[str, Any]:
    by_status = dict(
        session.execute(
            select(Enrollment.status, func.count())
            .where(Enrollment.user_id == user_id)
            .group_by(Enrollment.status)
        ).all()
    )
    completed, seconds = session.execute(
        select(
            func.count(LessonProgress.completed_at), func.coalesce(func.sum(LessonProgress.time_spent_s), 0.0)
        )
        .join(Enrollment, Enrollment.enrollment_id == LessonProgress.enrollment_id)
        .where(Enrollment.user_id == user_id)
    ).one()
    return {
        "enrollments_active": by_status.get("active", 0),
        "enrollments_completed": by_status.get("completed", 0),
        "enrollments_dropped": by_status.get("dropped", 0),
        "lessons_completed": completed,
        "time_spent_s": float(seconds),
    }


def course_aggregate(session: Session, *, course: Course) -> CourseProgressAggregateRead:
    course_id = course.course_id
    by_status = dict(
        session.execute(
            select(Enrollment.status, func.count())
            .where(Enrollment.course_id == course_id)
            .group_by(Enrollment.status)
        ).all()
    )
    enrolled = sum(by_status.values())
    staying = enrolled - by_status.get("dropped", 0)
    total, required = session.execute(
        select(func.count(), func.count().filter(Lesson.is_required)).where(Lesson.course_id == course_id)
    ).one()
    counted = Lesson.is_required if required else Lesson.course_id == course_id
    totals: Any = session.execute(
        select(
            func.coalesce(func.sum(case((counted, LessonProgress.percent), else_=0)), 0),
            func.coalesce(func.sum(LessonProgress.time_spent_s), 0.0),
        )
        .join(Lesson, Lesson.lesson_id == LessonProgress.lesson_id)
        .join(Enrollment, Enrollment.enrollment_id == LessonProgress.enrollment_id)
        .where(Enrollment.course_id == course_id, Enrollment.status != "dropped")
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
    statement = (
        select(
            Lesson,
            func.count(LessonProgress.enrollment_id),
            func.count(LessonProgress.completed_at),
            func.coalesce(func.avg(LessonProgress.percent), 0),
        )
        .outerjoin(LessonProgress, LessonProgress.lesson_id == Lesson.lesson_id)
        .where(Lesson.course_id == course_id)
        .group_by(Lesson.lesson_id)
    )
    after = parse_cursor(cursor, tag="funnel", kinds=(int,))
    rows: list[Any] = list(
        session.execute(keyset(statement, columns=(Lesson.position,), after=after, limit=limit))
    )
    items, next_cursor = page_of(rows, limit=limit, tag="funnel", key_of=lambda row: [row[0].position])
    return LessonFunnelPage(
        items=[
            LessonFunnelRead(
                lesson_id=lesson.lesson_id,
                position=lesson.position,
                title=lesson.title,
                is_required=lesson.is_required,
                learners_started=started,
                learners_completed=completed,
                mean_percent=round(float(mean), 1),
            )
            for lesson, started, completed, mean in items
        ],
        next_cursor=next_cursor,
    )
