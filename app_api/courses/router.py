"""HTTP for the catalogue: courses (search, authoring, publication) plus the skills and content routers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app_api.common.parameters import DEFAULT_PAGE, Author, Cursor, IfMatch, Limit, problems
from app_api.courses import search
from app_api.courses import service as courses
from app_api.courses.content_router import router as content_router
from app_api.courses.dependencies import slug_filter, text_filter
from app_api.courses.fields import CourseStatus, Level
from app_api.courses.schemas import CourseCreate, CoursePage, CourseRead, CourseUpdate
from app_api.courses.skill_router import router as skill_router
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import OptionalUser

course_router = APIRouter(prefix="/courses", tags=["courses"])


@course_router.get(
    "",
    response_model=CoursePage,
    summary="Search the catalogue",
    description="Anonymous callers and learners see published courses; instructors also their own; admins "
    "everything. With `q`, best matches first; otherwise newest first.",
    responses=problems(401),
)
def list_courses(
    session: SessionDep,
    viewer: OptionalUser,
    q: Annotated[
        str | None, text_filter("Words to find in title, subject or description (prefixes).")
    ] = None,
    subject: Annotated[str | None, text_filter("Subject, case-insensitive.")] = None,
    level: Annotated[Level | None, Query(description="Difficulty.")] = None,
    skill: Annotated[
        str | None, slug_filter("Skill slug; courses tagged with it or a skill below it.")
    ] = None,
    course_status: Annotated[
        CourseStatus | None, Query(alias="status", description="Useful to instructors and admins.")
    ] = None,
    instructor_id: Annotated[uuid.UUID | None, Query(description="Courses of this instructor.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> CoursePage:
    filters = search.CourseFilters(
        subject=subject, level=level, skill=skill, q=q, status=course_status, instructor_id=instructor_id
    )
    return search.list_courses(session=session, viewer=viewer, filters=filters, cursor=cursor, limit=limit)


@course_router.get(
    "/{course_id}", response_model=CourseRead, summary="Read a course", responses=problems(401, 404)
)
def get_course(
    session: SessionDep, viewer: OptionalUser, course_id: uuid.UUID, response: Response
) -> CourseRead:
    course = courses.get_course(session=session, viewer=viewer, course_id=course_id)
    response.headers["ETag"] = course.etag
    return course


@course_router.post(
    "",
    response_model=CourseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft course (instructors, admins)",
    responses=problems(401, 403),
)
def create_course(session: SessionDep, author: Author, data: CourseCreate, response: Response) -> CourseRead:
    course = courses.create_course(session=session, actor=author, data=data)
    response.headers["ETag"] = course.etag
    return course


@course_router.patch(
    "/{course_id}",
    response_model=CourseRead,
    summary="Change a course (its instructor or an admin; If-Match required)",
    responses=problems(401, 403, 404, 412, 428),
)
def update_course(
    session: SessionDep,
    author: Author,
    course_id: uuid.UUID,
    data: CourseUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CourseRead:
    course = courses.update_course(
        session=session, actor=author, course_id=course_id, if_match=if_match, data=data
    )
    response.headers["ETag"] = course.etag
    return course


@course_router.delete(
    "/{course_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a course nobody enrolled in (If-Match required)",
    responses=problems(401, 403, 404, 409, 412, 428),
)
def delete_course(
    session: SessionDep, author: Author, course_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    courses.delete_course(session=session, actor=author, course_id=course_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _transition(action: str, summary: str) -> None:
    @course_router.post(
        f"/{{course_id}}/{action}",
        response_model=CourseRead,
        summary=summary,
        name=f"{action}_course",
        responses=problems(401, 403, 404, 409, 412),
    )
    def transition(
        session: SessionDep,
        author: Author,
        course_id: uuid.UUID,
        response: Response,
        if_match: IfMatch = None,
    ) -> CourseRead:
        course = courses.change_status(
            session=session, actor=author, course_id=course_id, action=action, if_match=if_match
        )
        response.headers["ETag"] = course.etag
        return course


_transition("publish", "Publish a draft or archived course (it needs a lesson)")
_transition("unpublish", "Take a published course back to draft")
_transition("archive", "Archive a course: hidden from learners, no new enrollments")

router = APIRouter()
router.include_router(skill_router)
router.include_router(course_router)
router.include_router(content_router)
