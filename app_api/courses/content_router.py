"""HTTP for modules and lessons: listed under their course, read and changed by their own id."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app_api.common.parameters import DEFAULT_PAGE, Author, Cursor, IfMatch, Limit, problems
from app_api.courses import content_service as content
from app_api.courses.schemas import (
    LessonCreate,
    LessonPage,
    LessonRead,
    LessonUpdate,
    ModuleCreate,
    ModulePage,
    ModuleRead,
    ModuleUpdate,
)
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import OptionalUser

router = APIRouter()
EDIT_ERRORS = problems(401, 403, 404, 409, 412, 428)


@router.get(
    "/courses/{course_id}/modules",
    response_model=ModulePage,
    tags=["courses"],
    summary="List a course's modules in order",
    responses=problems(401, 404),
)
def list_modules(
    session: SessionDep,
    viewer: OptionalUser,
    course_id: uuid.UUID,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> ModulePage:
    return content.list_modules(
        session=session, viewer=viewer, course_id=course_id, cursor=cursor, limit=limit
    )


@router.post(
    "/courses/{course_id}/modules",
    response_model=ModuleRead,
    status_code=status.HTTP_201_CREATED,
    tags=["courses"],
    summary="Add a module to a course",
    responses=problems(401, 403, 404, 409),
)
def create_module(
    session: SessionDep, author: Author, course_id: uuid.UUID, data: ModuleCreate, response: Response
) -> ModuleRead:
    module = content.create_module(session=session, actor=author, course_id=course_id, data=data)
    response.headers["ETag"] = module.etag
    return module


@router.get(
    "/modules/{module_id}",
    response_model=ModuleRead,
    tags=["courses"],
    summary="Read a module",
    responses=problems(401, 404),
)
def get_module(
    session: SessionDep, viewer: OptionalUser, module_id: uuid.UUID, response: Response
) -> ModuleRead:
    module = content.get_module(session=session, viewer=viewer, module_id=module_id)
    response.headers["ETag"] = module.etag
    return module


@router.patch(
    "/modules/{module_id}",
    response_model=ModuleRead,
    tags=["courses"],
    summary="Change a module (If-Match required)",
    responses=EDIT_ERRORS,
)
def update_module(
    session: SessionDep,
    author: Author,
    module_id: uuid.UUID,
    data: ModuleUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ModuleRead:
    module = content.update_module(
        session=session, actor=author, module_id=module_id, if_match=if_match, data=data
    )
    response.headers["ETag"] = module.etag
    return module


@router.delete(
    "/modules/{module_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["courses"],
    summary="Delete an empty module (If-Match required)",
    responses=EDIT_ERRORS,
)
def delete_module(
    session: SessionDep, author: Author, module_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    content.delete_module(session=session, actor=author, module_id=module_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/courses/{course_id}/lessons",
    response_model=LessonPage,
    tags=["courses"],
    summary="List a course's lessons in order",
    responses=problems(401, 404),
)
def list_lessons(
    session: SessionDep,
    viewer: OptionalUser,
    course_id: uuid.UUID,
    module_id: Annotated[uuid.UUID | None, Query(description="Only this module's lessons.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> LessonPage:
    return content.list_lessons(
        session=session, viewer=viewer, course_id=course_id, module_id=module_id, cursor=cursor, limit=limit
    )


@router.post(
    "/courses/{course_id}/lessons",
    response_model=LessonRead,
    status_code=status.HTTP_201_CREATED,
    tags=["courses"],
    summary="Add a lesson to a course",
    responses=problems(401, 403, 404, 409),
)
def create_lesson(
    session: SessionDep, author: Author, course_id: uuid.UUID, data: LessonCreate, response: Response
) -> LessonRead:
    lesson = content.create_lesson(session=session, actor=author, course_id=course_id, data=data)
    response.headers["ETag"] = lesson.etag
    return lesson


@router.get(
    "/lessons/{lesson_id}",
    response_model=LessonRead,
    tags=["courses"],
    summary="Read a lesson",
    responses=problems(401, 404),
)
def get_lesson(
    session: SessionDep, viewer: OptionalUser, lesson_id: uuid.UUID, response: Response
) -> LessonRead:
    lesson = content.get_lesson(session=session, viewer=viewer, lesson_id=lesson_id)
    response.headers["ETag"] = lesson.etag
    return lesson


@router.patch(
    "/lessons/{lesson_id}",
    response_model=LessonRead,
    tags=["courses"],
    summary="Change a lesson (If-Match required)",
    responses=EDIT_ERRORS,
)
def update_lesson(
    session: SessionDep,
    author: Author,
    lesson_id: uuid.UUID,
    data: LessonUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> LessonRead:
    lesson = content.update_lesson(
        session=session, actor=author, lesson_id=lesson_id, if_match=if_match, data=data
    )
    response.headers["ETag"] = lesson.etag
    return lesson


@router.delete(
    "/lessons/{lesson_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["courses"],
    summary="Delete a lesson (If-Match required)",
    responses=EDIT_ERRORS,
)
def delete_lesson(
    session: SessionDep, author: Author, lesson_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    content.delete_lesson(session=session, actor=author, lesson_id=lesson_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
