"""Gamification over HTTP: a learner's XP, level and streak, their badges and ledger, the achievements,
and the leaderboards."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app_api.common.pagination import Page
from app_api.gamification.rules import REQUIREMENT_TYPES, Rarity, RequirementType, RuleName

LeaderboardScope = Literal["global", "course"]
LeaderboardPeriod = Literal["all_time", "month", "week"]


def _no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL; refusing it here makes it a 422, not a database error."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class GamificationRead(BaseModel):
    learner_id: uuid.UUID
    xp: int = Field(ge=0, description="XP earned in total (the sum of the learner's ledger).")
    level: int = Field(ge=0, description="floor(sqrt(xp / 100)).")
    level_xp: int = Field(ge=0, description="The XP at which the current level started: 100 * level^2.")
    next_level_xp: int = Field(
        gt=0, description="The XP at which the next level starts: 100 * (level + 1)^2."
    )
    current_streak: int = Field(
        ge=0,
        description="Consecutive active days ending today or yesterday (learner's time zone); 0 if broken.",
    )
    longest_streak: int = Field(ge=0)
    last_active_date: date | None = Field(
        description="The last day with learning activity, in the learner's zone."
    )
    time_zone: str
    badges: int = Field(ge=0, description="Achievements unlocked.")


class BadgeRead(BaseModel):
    achievement_id: uuid.UUID
    slug: str
    name: str
    description: str
    rarity: Rarity
    requirement_type: RequirementType
    threshold: int
    unlocked_at: datetime


class BadgePage(Page[BadgeRead]):
    """The learner's unlocked badges, newest first."""


class XpTransactionRead(BaseModel):
    event_id: uuid.UUID = Field(description="The event that earned it (GET /api/v1/events/{event_id}).")
    rule: RuleName
    xp: int
    course_id: uuid.UUID | None
    occurred_at: datetime


class XpTransactionPage(Page[XpTransactionRead]):
    """The learner's XP ledger, newest first."""


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=2, max_length=64)]
Text200 = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), AfterValidator(_no_nul)
]
Text1000 = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(_no_nul)]


class AchievementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug = Field(examples=["night-owl"])
    name: Text200 = Field(examples=["Night owl"])
    description: Text1000 = Field(examples=["Complete 50 lessons."])
    rarity: Rarity
    requirement_type: RequirementType = Field(
        description="What is counted: "
        + "; ".join(f"{name}: {what}" for name, what in REQUIREMENT_TYPES.items())
    )
    threshold: int = Field(ge=1, le=1_000_000_000, description="The count that unlocks it.", examples=[50])


class AchievementRead(BaseModel):
    achievement_id: uuid.UUID
    slug: str
    name: str
    description: str
    rarity: Rarity
    requirement_type: RequirementType
    threshold: int
    created_at: datetime


class AchievementPage(Page[AchievementRead]):
    """Every achievement, by requirement type and threshold."""


class LeaderboardEntryRead(BaseModel):
    rank: int = Field(ge=1)
    learner_id: uuid.UUID
    display_name: str
    xp: int
    reached_at: datetime = Field(
        description="When the learner reached this XP in the period (the tie-break)."
    )


class LeaderboardRead(BaseModel):
    scope: LeaderboardScope
    course_id: uuid.UUID | None
    period: LeaderboardPeriod
    period_start: date | None = Field(
        description="First day (UTC) of the month or ISO week; null for all_time."
    )
    refreshed_at: datetime | None = Field(description="When the board was last refreshed; null if never.")
    entries: list[LeaderboardEntryRead]
    me: LeaderboardEntryRead | None = Field(
        description="The caller's own row when they are on this board (opted-out learners never are)."
    )
