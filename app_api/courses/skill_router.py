"""HTTP for the skills taxonomy: everyone reads it, admins change it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response, status

from app_api.common.parameters import DEFAULT_PAGE, Admin, Cursor, IfMatch, Limit, problems
from app_api.courses import skill_service
from app_api.courses.dependencies import slug_filter
from app_api.courses.schemas import SkillCreate, SkillPage, SkillRead, SkillUpdate
from skillstudio.web.dependencies import SessionDep

router = APIRouter(prefix="/skills", tags=["skills"])


@router.get("", response_model=SkillPage, summary="List skills")
def list_skills(
    session: SessionDep,
    parent: Annotated[str | None, slug_filter("Only the direct children of this skill (slug).")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> SkillPage:
    return skill_service.list_skills(session=session, parent=parent, cursor=cursor, limit=limit)


@router.get("/{skill_id}", response_model=SkillRead, summary="Read a skill", responses=problems(404))
def get_skill(session: SessionDep, skill_id: uuid.UUID, response: Response) -> SkillRead:
    skill = skill_service.get_skill(session=session, skill_id=skill_id)
    response.headers["ETag"] = skill.etag
    return skill


@router.post(
    "",
    response_model=SkillRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a skill (admins)",
    responses=problems(401, 403, 409),
)
def create_skill(session: SessionDep, admin: Admin, data: SkillCreate, response: Response) -> SkillRead:
    skill = skill_service.create_skill(session=session, actor=admin, data=data)
    response.headers["ETag"] = skill.etag
    return skill


@router.patch(
    "/{skill_id}",
    response_model=SkillRead,
    summary="Change a skill's slug, name or parent (admins)",
    responses=problems(401, 403, 404, 409, 412, 428),
)
def update_skill(
    session: SessionDep,
    admin: Admin,
    skill_id: uuid.UUID,
    data: SkillUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> SkillRead:
    skill = skill_service.update_skill(
        session=session, actor=admin, skill_id=skill_id, if_match=if_match, data=data
    )
    response.headers["ETag"] = skill.etag
    return skill


@router.delete(
    "/{skill_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an unused skill (admins)",
    responses=problems(401, 403, 404, 409, 412, 428),
)
def delete_skill(
    session: SessionDep, admin: Admin, skill_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    skill_service.delete_skill(session=session, actor=admin, skill_id=skill_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
