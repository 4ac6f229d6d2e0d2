"""Lesson progress and course completion.

A learner reports progress on a lesson of an enrollment of theirs (active or completed; a dropped one must
be re-enrolled first). Reports are serialised per enrollment by locking the enrollment row.

Events (actor = the learner, object the lesson, with ``course_id``, ``module_id``, ``registration``):
the first report -> ``initialized``; a report that raises percent or adds time -> ``progressed`` with
``duration_s`` the time added and ``extensions`` {"percent", "time_spent_s"} the new totals; the lesson
reaching 100 percent -> ``completed`` (``completion`` true, ``duration_s`` the lesson's total time); the
last required lesson completed -> ``completed`` with object the course, and the enrollment becomes
completed. A report that changes nothing writes nothing.

Who reads what: learners their own enrollments' progress, admins anyone's; a course's instructor (and
admins) the course's aggregate and per-lesson funnel, which hold counts and means and no learner ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.enrollments.schemas import EnrollmentRead
from app_api.progress import summaries
from app_api.progress.models import LessonProgress
from app_api.progress.schemas import (
    CourseProgressAggregateRead,
    CourseProgressRead,
    LearnerProgressRead,
    LessonFunnelPage,
    LessonProgressPage,
    LessonProgressRead,
    LessonProgressUpdate,
    ProgressReportRead,
)
from skillstudio.errors import Conflict, Forbidden, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def _lesson_read(
    enrollment_id: uuid.UUID, lesson: Any, progress: LessonProgress | None
) -> LessonProgressRead:
    """``lesson``: a row of ``courses.lesson_rows()``."""
    return LessonProgressRead(
        enrollment_id=enrollment_id,
        lesson_id=lesson.lesson_id,
        position=lesson.position,
        title=lesson.title,
        is_required=lesson.is_required,
        started_at=progress.started_at if progress else None,
        percent=progress.percent if progress else 0,
        time_spent_s=progress.time_spent_s if progress else 0.0,
        completed_at=progress.completed_at if progress else None,
    )


def report(
    *,
    session: Session,
    actor: Principal,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    data: LessonProgressUpdate,
) -> ProgressReportRead:
    enrollment = enrollments.get_enrollment(
        session=session, viewer=actor, enrollment_id=enrollment_id, lock=True
    )
    if enrollment.user_id != actor.user_id:
        raise Forbidden("Learners report their own progress only; admins may read it, not write it.")
    if enrollment.status == "dropped":
        raise Conflict("This enrollment was dropped; enroll in the course again to continue.")
    lessons = courses.lesson_rows().subquery("lesson")
    lesson = session.execute(select(lessons).where(lessons.c.lesson_id == lesson_id)).first()
    if lesson is None or lesson.course_id != enrollment.course_id:
        raise NotFound(f"Lesson {lesson_id} is not a lesson of this enrollment's course.")

    now = datetime.now(UTC)
    progress = session.get(LessonProgress, (enrollment_id, lesson_id))
    started = progress is None
    if progress is None:
        progress = LessonProgress(
            enrollment_id=enrollment_id, lesson_id=lesson_id, started_at=now, percent=0, time_spent_s=0.0
        )
        session.add(progress)
    previous = progress.percent
    target = 100 if data.completed else max(previous, data.percent or 0)
    added = data.time_spent_s or 0.0
    just_completed = progress.completed_at is None and target == 100
    progress.percent = target
    progress.time_spent_s += added
    if just_completed:
        progress.completed_at = now
    if started or target != previous or added:
        progress.updated_at = now
    session.flush()

    def event(verb: str, **fields: object) -> None:
        record_event(
            session,
            actor_id=actor.user_id,
            verb=verb,
            object_type="lesson",
            object_id=lesson_id,
            course_id=lesson.course_id,
            module_id=lesson.module_id,
            registration=enrollment_id,
            occurred_at=now,
            **fields,
        )

    if started:
        event("initialized")
    if target > previous or added:
        event(
            "progressed",
            duration_s=added,
            extensions={"percent": target, "time_spent_s": progress.time_spent_s},
        )
    if just_completed:
        event("completed", completion=True, duration_s=progress.time_spent_s)
        enrollment = _complete_course_if_done(session, actor, enrollment, now)
    return ProgressReportRead(
        lesson=_lesson_read(enrollment_id, lesson, progress),
        course=summaries.course_progress(session, enrollments=[enrollment])[0],
    )


def _complete_course_if_done(
    session: Session, actor: Principal, enrollment: EnrollmentRead, now: datetime
) -> EnrollmentRead:
    """The enrollment, completed (with its event) if this report finished the course's required set."""
    if enrollment.status != "active" or not summaries.is_course_complete(session, enrollment=enrollment):
        return enrollment
    total = summaries.course_progress(session, enrollments=[enrollment])[0].time_spent_s
    return enrollments.complete_enrollment(
        session, actor=actor, enrollment=enrollment, now=now, duration_s=total
    )


def enrollment_progress(
    *, session: Session, viewer: Principal, enrollment_id: uuid.UUID
) -> CourseProgressRead:
    enrollment = enrollments.get_enrollment(session=session, viewer=viewer, enrollment_id=enrollment_id)
    return summaries.course_progress(session, enrollments=[enrollment])[0]


def lesson_progress(
    *, session: Session, viewer: Principal, enrollment_id: uuid.UUID, cursor: str | None, limit: int
) -> LessonProgressPage:
    """Every lesson of the enrollment's course in order, with the learner's progress (zero if not started)."""
    enrollment = enrollments.get_enrollment(session=session, viewer=viewer, enrollment_id=enrollment_id)
    lesson = courses.lesson_rows().subquery("lesson")
    statement = (
        select(lesson, LessonProgress)
        .outerjoin(
            LessonProgress,
            and_(
                LessonProgress.lesson_id == lesson.c.lesson_id, LessonProgress.enrollment_id == enrollment_id
            ),
        )
        .where(lesson.c.course_id == enrollment.course_id)
    )
    after = parse_cursor(cursor, tag="lesson-progress", kinds=(int,))
    rows = session.execute(keyset(statement, columns=(lesson.c.position,), after=after, limit=limit)).all()
    items, next_cursor = page_of(rows, limit=limit, tag="lesson-progress", key_of=lambda row: [row.position])
    return LessonProgressPage(
        items=[_lesson_read(enrollment_id, row, row.LessonProgress) for row in items],
        next_cursor=next_cursor,
    )


def learner_progress(
    *, session: Session, viewer: Principal, user_id: uuid.UUID, cursor: str | None, limit: int
) -> LearnerProgressRead:
    if not viewer.can_act_for(user_id):
        raise Forbidden("Learners read their own progress only.")
    page = enrollments.list_enrollments(
        session=session, viewer=viewer, user_id=user_id, status=None, cursor=cursor, limit=limit
    )
    return LearnerProgressRead(
        user_id=user_id,
        **summaries.learner_totals(session, user_id=user_id),
        courses=summaries.course_progress(session, enrollments=page.items),
        next_cursor=page.next_cursor,
    )


def _instructed_course(session: Session, viewer: Principal, course_id: uuid.UUID) -> courses.CourseFacts:
    course = courses.course_facts(session, course_id=course_id)
    if course is None:
        raise NotFound(f"There is no course {course_id}.")
    if not (viewer.is_admin or (viewer.role == "instructor" and course.instructor_id == viewer.user_id)):
        raise Forbidden("A course's progress is for its instructor and admins only.")
    return course


def course_aggregate(
    *, session: Session, viewer: Principal, course_id: uuid.UUID
) -> CourseProgressAggregateRead:
    return summaries.course_aggregate(session, course=_instructed_course(session, viewer, course_id))


def lesson_funnel(
    *, session: Session, viewer: Principal, course_id: uuid.UUID, cursor: str | None, limit: int
) -> LessonFunnelPage:
    _instructed_course(session, viewer, course_id)
    return summaries.lesson_funnel(session, course_id=course_id, cursor=cursor, limit=limit)


def completed_lessons(
    session: Session, *, enrollment_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """The lessons completed within these enrollments, with when (the first completion if taken twice)."""
    rows = session.execute(
        select(LessonProgress.lesson_id, LessonProgress.completed_at).where(
            LessonProgress.enrollment_id.in_(enrollment_ids), LessonProgress.completed_at.is_not(None)
        )
    )
    completed: dict[uuid.UUID, datetime] = {}
    for lesson_id, completed_at in rows:
        if completed_at is not None:  # filtered above; the column type cannot say so
            completed[lesson_id] = min(completed_at, completed.get(lesson_id, completed_at))
    return completed


def next_lessons(
    session: Session, *, enrollment_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Per enrollment, the first lesson of its course (by position) it has not completed: ``(lesson_id,
    title)``; enrollments that completed every lesson are left out. For the completion-risk nudges."""
    if not enrollment_ids:
        return {}
    rows = session.execute(_next_lessons_statement(), {"enrollment_ids": list(enrollment_ids)})
    return {row.enrollment_id: (row.lesson_id, row.title) for row in rows}


@cache
def _next_lessons_statement() -> Select[Any]:
    # Built once: composing the other domains' subqueries cost ~2 ms of Python per call, more than the
    # query (the risk route calls this on every request).
    lesson = courses.lesson_rows().subquery("lesson")
    enrollment = enrollments.enrollment_rows().subquery("enrollment")
    return (
        select(enrollment.c.enrollment_id, lesson.c.lesson_id, lesson.c.title)
        .join(lesson, lesson.c.course_id == enrollment.c.course_id)
        .outerjoin(
            LessonProgress,
            and_(
                LessonProgress.enrollment_id == enrollment.c.enrollment_id,
                LessonProgress.lesson_id == lesson.c.lesson_id,
            ),
        )
        .where(
            enrollment.c.enrollment_id.in_(bindparam("enrollment_ids", expanding=True)),
            LessonProgress.completed_at.is_(None),
        )
        .distinct(enrollment.c.enrollment_id)
        .order_by(enrollment.c.enrollment_id, lesson.c.position, lesson.c.lesson_id)
    )
