"""HTTP for lesson progress and progress summaries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit, problems
from app_api.progress import service as progress
from app_api.progress.schemas import (
    CourseProgressAggregateRead,
    CourseProgressRead,
    LearnerProgressRead,
    LessonFunnelPage,
    LessonProgressPage,
    LessonProgressUpdate,
    ProgressReportRead,
)
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["progress"])


@router.post(
    "/enrollments/{enrollment_id}/lessons/{lesson_id}/progress",
    response_model=ProgressReportRead,
    summary="Report progress on a lesson",
    description="Starts the lesson on the first report, raises percent (never lowers it), adds time, and "
    "completes the lesson at 100 percent; completing the last required lesson completes the course.",
    responses=problems(401, 403, 404, 409),
)
def report_progress(
    session: SessionDep,
    user: CurrentUser,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    data: LessonProgressUpdate,
) -> ProgressReportRead:
    return progress.report(
        session=session, actor=user, enrollment_id=enrollment_id, lesson_id=lesson_id, data=data
    )


@router.get(
    "/enrollments/{enrollment_id}/progress",
    response_model=CourseProgressRead,
    summary="Progress through the course of one enrollment",
    responses=problems(401, 403, 404),
)
def enrollment_progress(
    session: SessionDep, user: CurrentUser, enrollment_id: uuid.UUID
) -> CourseProgressRead:
    return progress.enrollment_progress(session=session, viewer=user, enrollment_id=enrollment_id)


@router.get(
    "/enrollments/{enrollment_id}/lessons",
    response_model=LessonProgressPage,
    summary="Each lesson of an enrollment's course with its progress",
    responses=problems(401, 403, 404),
)
def lesson_progress(
    session: SessionDep,
    user: CurrentUser,
    enrollment_id: uuid.UUID,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> LessonProgressPage:
    return progress.lesson_progress(
        session=session, viewer=user, enrollment_id=enrollment_id, cursor=cursor, limit=limit
    )


@router.get(
    "/learners/{learner_id}/progress",
    response_model=LearnerProgressRead,
    summary="A learner's progress over all their enrollments (themselves or admins)",
    responses=problems(401, 403),
)
def learner_progress(
    session: SessionDep,
    user: CurrentUser,
    learner_id: uuid.UUID,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> LearnerProgressRead:
    return progress.learner_progress(
        session=session, viewer=user, user_id=learner_id, cursor=cursor, limit=limit
    )


@router.get(
    "/courses/{course_id}/progress",
    response_model=CourseProgressAggregateRead,
    summary="A course's progress in aggregate (its instructor or admins)",
    responses=problems(401, 403, 404),
)
def course_progress(
    session: SessionDep, user: CurrentUser, course_id: uuid.UUID
) -> CourseProgressAggregateRead:
    return progress.course_aggregate(session=session, viewer=user, course_id=course_id)


@router.get(
    "/courses/{course_id}/progress/lessons",
    response_model=LessonFunnelPage,
    summary="Per-lesson funnel of a course (its instructor or admins)",
    responses=problems(401, 403, 404),
)
def lesson_funnel(
    session: SessionDep,
    user: CurrentUser,
    course_id: uuid.UUID,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> LessonFunnelPage:
    return progress.lesson_funnel(
        session=session, viewer=user, course_id=course_id, cursor=cursor, limit=limit
    )
