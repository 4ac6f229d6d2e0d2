"""Learning-goal routes: the caller's own goals (admins: anyone's). HTTP only."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit
from app_api.goals import service
from app_api.goals.schemas import GoalCreate, GoalGapRead, GoalPage, GoalRead, GoalStatus, GoalUpdate
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(prefix="/goals", tags=["goals"])

_PROBLEM: dict[str, Any] = {"application/problem+json": {}}
_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token.", "content": _PROBLEM}
}
_FORBIDDEN: dict[int | str, dict[str, Any]] = _UNAUTHORIZED | {
    403: {"description": "The goal belongs to another learner.", "content": _PROBLEM},
    404: {"description": "No such goal.", "content": _PROBLEM},
}


@router.post(
    "",
    response_model=GoalRead,
    status_code=status.HTTP_201_CREATED,
    summary="State a learning goal: target levels per skill, a deadline, hours per week",
    responses=_UNAUTHORIZED
    | {422: {"description": "Invalid input, a past deadline or unknown skills.", "content": _PROBLEM}},
)
def create_goal(data: GoalCreate, session: SessionDep, user: CurrentUser) -> GoalRead:
    return service.create_goal(session, principal=user, data=data)


@router.get(
    "",
    response_model=GoalPage,
    summary="List your goals (admins: any learner's, with learner_id)",
    responses=_UNAUTHORIZED | {403: _FORBIDDEN[403]},
)
def list_goals(
    session: SessionDep,
    user: CurrentUser,
    learner_id: Annotated[uuid.UUID | None, Query(description="Admins: another learner's goals.")] = None,
    goal_status: Annotated[GoalStatus | None, Query(alias="status")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> GoalPage:
    return service.list_goals(
        session, principal=user, user_id=learner_id, status=goal_status, cursor=cursor, limit=limit
    )


@router.get("/{goal_id}", response_model=GoalRead, summary="Read a goal", responses=_FORBIDDEN)
def get_goal(goal_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> GoalRead:
    return service.get_goal(session, principal=user, goal_id=goal_id)


@router.patch("/{goal_id}", response_model=GoalRead, summary="Change a goal", responses=_FORBIDDEN)
def update_goal(goal_id: uuid.UUID, data: GoalUpdate, session: SessionDep, user: CurrentUser) -> GoalRead:
    return service.update_goal(session, principal=user, goal_id=goal_id, data=data)


@router.delete(
    "/{goal_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a goal", responses=_FORBIDDEN
)
def delete_goal(goal_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    service.delete_goal(session, principal=user, goal_id=goal_id)


@router.get(
    "/{goal_id}/gap",
    response_model=GoalGapRead,
    summary="The gap per skill between current and target levels, and the hours until the deadline",
    responses=_FORBIDDEN,
)
def goal_gap(goal_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> GoalGapRead:
    return service.goal_gap(session, principal=user, goal_id=goal_id)
