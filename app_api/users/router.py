"""HTTP routes of accounts and learner profiles: parse, call the service, answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit
from app_api.users import profiles, service
from app_api.users.dependencies import Admin, SelfOrAdmin
from app_api.users.schemas import ProfileRead, ProfileUpdate, Role, RoleUpdate, UserPage, UserRead
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter()

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "No valid access token.", **_PROBLEM}}
_ADMIN: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    403: {"description": "The caller is not an admin.", **_PROBLEM},
}
_PROFILE: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    403: {"description": "The caller is neither this learner nor an admin.", **_PROBLEM},
    404: {"description": "No such user (answered to admins only).", **_PROBLEM},
}
UserIdPath = Annotated[uuid.UUID, Path(description="The user's id.")]


@router.get(
    "/me", response_model=UserRead, tags=["accounts"], summary="The caller's account", responses=_AUTH
)
def read_me(session: SessionDep, user: CurrentUser) -> UserRead:
    return service.user_read(service.get_user(session=session, user_id=user.user_id))


@router.get(
    "/users", response_model=UserPage, tags=["accounts"], summary="List accounts (admin)", responses=_ADMIN
)
def list_users(
    session: SessionDep,
    _admin: Admin,
    role: Annotated[Role | None, Query(description="Only accounts with this role.")] = None,
    email_prefix: Annotated[
        str | None,
        Query(
            max_length=320,
            pattern=r"^[^\x00]*$",
            description="Only emails starting with this (case-insensitive).",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> UserPage:
    return service.list_users(
        session=session, role=role, email_prefix=email_prefix, cursor=cursor, limit=limit
    )


@router.get(
    "/users/{user_id}",
    response_model=UserRead,
    tags=["accounts"],
    summary="One account (admin)",
    responses={**_ADMIN, 404: {"description": "No such user.", **_PROBLEM}},
)
def read_user(session: SessionDep, _admin: Admin, user_id: UserIdPath) -> UserRead:
    return service.user_read(service.get_user(session=session, user_id=user_id))


@router.put(
    "/users/{user_id}/role",
    response_model=UserRead,
    tags=["accounts"],
    summary="Change an account's role (admin)",
    description="Writes an `updated account` event naming the admin and the target. Admins cannot change "
    "their own role. Tokens already issued keep the old role until they expire; the next refresh has the "
    "new one.",
    responses={
        **_ADMIN,
        404: {"description": "No such user.", **_PROBLEM},
        409: {"description": "The admin tried to change their own role.", **_PROBLEM},
    },
)
def change_role(session: SessionDep, admin: Admin, user_id: UserIdPath, body: RoleUpdate) -> UserRead:
    user = service.change_role(
        session=session, actor=admin, user_id=user_id, role=body.role, now=datetime.now(UTC)
    )
    return service.user_read(user)


@router.get(
    "/learners/{learner_id}/profile",
    response_model=ProfileRead,
    tags=["profiles"],
    summary="A learner's profile (the learner or an admin)",
    responses=_PROFILE,
)
def read_profile(session: SessionDep, _reader: SelfOrAdmin, learner_id: uuid.UUID) -> ProfileRead:
    return service.get_profile(session=session, learner_id=learner_id)


@router.patch(
    "/learners/{learner_id}/profile",
    response_model=ProfileRead,
    tags=["profiles"],
    summary="Change preferences and self-assessed skill levels",
    description="Only the fields sent change. Levels the learner sends are self-assessments; they never "
    "replace a measured level (diagnostic, import, admin): such a request is refused whole with 409. "
    "Imported attributes are read-only. Writes one `updated profile` event when something changed.",
    responses={
        **_PROFILE,
        409: {"description": "A self-assessment would replace a measured level.", **_PROBLEM},
    },
)
def update_profile(
    session: SessionDep, editor: SelfOrAdmin, learner_id: uuid.UUID, body: ProfileUpdate
) -> ProfileRead:
    return profiles.update_profile(
        session=session, actor=editor, learner_id=learner_id, update=body, now=datetime.now(UTC)
    )
