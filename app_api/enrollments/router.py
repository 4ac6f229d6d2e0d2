"""HTTP for enrollments: enroll in a course, read and drop your own enrollments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit, problems
from app_api.enrollments import service as enrollments
from app_api.enrollments.schemas import EnrollmentPage, EnrollmentRead, EnrollmentStatus
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["enrollments"])


@router.post(
    "/courses/{course_id}/enrollments",
    response_model=EnrollmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Enroll in a published course",
    description="201 with a new enrollment; 200 with the existing one when already enrolled (a dropped "
    "enrollment is re-activated). 409 names every prerequisite course still to complete.",
    responses={200: {"description": "Already enrolled.", "model": EnrollmentRead}, **problems(401, 404, 409)},
)
def enroll(
    session: SessionDep, user: CurrentUser, course_id: uuid.UUID, response: Response
) -> EnrollmentRead:
    enrollment, created = enrollments.enroll(session=session, actor=user, course_id=course_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return enrollment


@router.get(
    "/enrollments",
    response_model=EnrollmentPage,
    summary="List enrollments, newest first",
    responses=problems(401, 403),
)
def list_enrollments(
    session: SessionDep,
    user: CurrentUser,
    user_id: Annotated[uuid.UUID | None, Query(description="Admins only: another learner's.")] = None,
    enrollment_status: Annotated[EnrollmentStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> EnrollmentPage:
    return enrollments.list_enrollments(
        session=session, viewer=user, user_id=user_id, status=enrollment_status, cursor=cursor, limit=limit
    )


@router.get(
    "/enrollments/{enrollment_id}",
    response_model=EnrollmentRead,
    summary="Read one of your enrollments",
    responses=problems(401, 403, 404),
)
def get_enrollment(session: SessionDep, user: CurrentUser, enrollment_id: uuid.UUID) -> EnrollmentRead:
    return enrollments.get_enrollment(session=session, viewer=user, enrollment_id=enrollment_id)


@router.post(
    "/enrollments/{enrollment_id}/drop",
    response_model=EnrollmentRead,
    summary="Drop a course you are enrolled in",
    responses=problems(401, 403, 404, 409),
)
def drop(session: SessionDep, user: CurrentUser, enrollment_id: uuid.UUID) -> EnrollmentRead:
    return enrollments.drop(session=session, actor=user, enrollment_id=enrollment_id)
