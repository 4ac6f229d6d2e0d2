"""Gamification routes: the caller's XP, level, streak, badges and ledger; achievements; leaderboards."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app_api.common.parameters import DEFAULT_PAGE, Admin, Cursor, Limit
from app_api.gamification import service
from app_api.gamification.schemas import (
    AchievementCreate,
    AchievementPage,
    AchievementRead,
    BadgePage,
    GamificationRead,
    LeaderboardPeriod,
    LeaderboardRead,
    LeaderboardScope,
    XpTransactionPage,
)
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["gamification"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "No valid access token.", **_PROBLEM}}
_ADMIN: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    403: {"description": "The caller is not an admin.", **_PROBLEM},
}
_PAGE: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    400: {"description": "A cursor of another list, or one the API did not issue.", **_PROBLEM},
}


@router.get(
    "/gamification/me",
    response_model=GamificationRead,
    summary="Your XP, level (with the XP of the next one) and daily streak",
    responses=_AUTH,
)
def read_me(session: SessionDep, user: CurrentUser) -> GamificationRead:
    return service.summary(session, learner_id=user.user_id)


@router.get(
    "/gamification/me/badges", response_model=BadgePage, summary="Your unlocked badges, newest first",
    responses=_PAGE,
)  # fmt: skip
def read_badges(
    session: SessionDep, user: CurrentUser, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> BadgePage:
    return service.badges(session, learner_id=user.user_id, cursor=cursor, limit=limit)


@router.get(
    "/gamification/me/xp",
    response_model=XpTransactionPage,
    summary="Your XP ledger, newest first: each rule paid and the event that earned it",
    responses=_PAGE,
)
def read_ledger(
    session: SessionDep, user: CurrentUser, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> XpTransactionPage:
    return service.ledger(session, learner_id=user.user_id, cursor=cursor, limit=limit)


@router.get(
    "/gamification/achievements",
    response_model=AchievementPage,
    summary="Every achievement (badge) there is to unlock, with its rarity, requirement and threshold",
    responses=_PAGE,
)
def list_achievements(
    session: SessionDep, _user: CurrentUser, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
) -> AchievementPage:
    return service.list_achievements(session, cursor=cursor, limit=limit)


@router.post(
    "/gamification/achievements",
    response_model=AchievementRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an achievement (admin): a requirement type and the threshold that unlocks it",
    description="No code change needed: learners unlock it at their next event that moves its counter. "
    "Writes a `created badge` event.",
    responses={
        **_ADMIN,
        409: {"description": "The slug is taken.", **_PROBLEM},
        422: {"description": "Invalid input, with field-level errors.", **_PROBLEM},
    },
)
def create_achievement(session: SessionDep, admin: Admin, body: AchievementCreate) -> AchievementRead:
    return service.create_achievement(session, principal=admin, data=body)


@router.get(
    "/leaderboards",
    response_model=LeaderboardRead,
    summary="A leaderboard: global or one course's, all time, this month or this ISO week",
    description="Ranked by XP earned in the period, then by who reached it first, then by learner id. "
    "Learners who opted out (profile preference `leaderboard_opt_out`) are on no board. Served from a cache "
    "refreshed with the analytics marts; `refreshed_at` says when.",
    responses={
        **_AUTH,
        404: {
            "description": "No such board: scope=course without course_id, or global with one.",
            **_PROBLEM,
        },
        422: {"description": "Invalid parameters, with field-level errors.", **_PROBLEM},
    },
)
def read_leaderboard(
    session: SessionDep,
    user: CurrentUser,
    scope: Annotated[LeaderboardScope, Query(description="global, or course (with course_id).")] = "global",
    course_id: Annotated[uuid.UUID | None, Query(description="The course of a course board.")] = None,
    period: Annotated[LeaderboardPeriod, Query(description="all_time, month or week (UTC).")] = "all_time",
    limit: Annotated[int, Query(ge=1, le=100, description="Entries from the top (1-100).")] = 10,
) -> LeaderboardRead:
    return service.leaderboard(
        session, viewer=user.user_id, scope=scope, course_id=course_id, period=period, limit=limit
    )
