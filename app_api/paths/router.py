"""Learning-path routes (a goal's path and its history) and the next step of an enrollment. HTTP only."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from app_api.paths import next_step as next_steps
from app_api.paths import service
from app_api.paths.schemas import NextStepRead, PathHistoryRead, PathRead
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["learning paths"])

_PROBLEM: dict[str, Any] = {"application/problem+json": {}}
_GOAL: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token.", "content": _PROBLEM},
    403: {"description": "The goal belongs to another learner.", "content": _PROBLEM},
    404: {"description": "No such goal (or, for GET, no path yet).", "content": _PROBLEM},
}


@router.post(
    "/goals/{goal_id}/path",
    response_model=PathRead,
    status_code=status.HTTP_201_CREATED,
    summary="Generate the goal's learning path from today's levels (a new version of it)",
    responses=_GOAL | {409: {"description": "The goal is not active.", "content": _PROBLEM}},
)
def generate_path(goal_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> PathRead:
    return service.generate_path(session, principal=user, goal_id=goal_id)


@router.get(
    "/goals/{goal_id}/path",
    response_model=PathRead,
    summary="The goal's current learning path: steps with reasons and a week-by-week timeline",
    responses=_GOAL,
)
def get_path(goal_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> PathRead:
    return service.get_path(session, principal=user, goal_id=goal_id)


@router.get(
    "/goals/{goal_id}/path/history",
    response_model=PathHistoryRead,
    summary="Every version of the goal's learning path, newest first, with what changed and why",
    responses=_GOAL,
)
def path_history(goal_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> PathHistoryRead:
    return service.path_history(session, principal=user, goal_id=goal_id)


@router.get(
    "/enrollments/{enrollment_id}/next",
    response_model=NextStepRead,
    summary="The enrollment's next lesson or quiz, in order and after prerequisites, revision first when "
    "the learner's level on its skill is low",
    responses={
        401: _GOAL[401],
        403: {"description": "The enrollment belongs to another learner.", "content": _PROBLEM},
        404: {"description": "No such enrollment.", "content": _PROBLEM},
    },
)
def next_step(enrollment_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> NextStepRead:
    return next_steps.next_step(session, principal=user, enrollment_id=enrollment_id)
