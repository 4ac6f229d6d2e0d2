"""Learning goals over HTTP."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app_api.common.pagination import Page

GoalStatus = Literal["active", "achieved", "abandoned"]


def _no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL; refusing it here makes it a 422, not a database error."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


GoalTitle = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoalSkillTarget(_Input):
    skill_id: uuid.UUID
    target_level: float = Field(
        ge=1, le=10, description="The level (1-10) to reach on this skill.", examples=[7]
    )


def _unique_skills(targets: list[GoalSkillTarget] | None) -> None:
    if targets is not None and len({target.skill_id for target in targets}) != len(targets):
        raise ValueError("each skill may appear once in skills")


class GoalCreate(_Input):
    title: GoalTitle | None = Field(default=None, examples=["Data analyst by summer"])
    deadline: date = Field(description="The date to reach the targets by; must be in the future.")
    hours_per_week: float = Field(
        gt=0, le=168, description="Hours a week available for learning.", examples=[6]
    )
    skills: list[GoalSkillTarget] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _skills_once(self) -> Self:
        _unique_skills(self.skills)
        return self


class GoalUpdate(_Input):
    """Fields to change; ``skills`` replaces the whole list of targets."""

    title: GoalTitle | None = None
    deadline: date | None = None
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    status: GoalStatus | None = None
    skills: list[GoalSkillTarget] | None = Field(default=None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _checks(self) -> Self:
        for name in self.model_fields_set - {"title"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep the current value")
        _unique_skills(self.skills)
        return self


class GoalRead(BaseModel):
    goal_id: uuid.UUID
    user_id: uuid.UUID
    title: str | None
    deadline: date
    hours_per_week: float
    status: GoalStatus
    skills: list[GoalSkillTarget]
    created_at: datetime
    updated_at: datetime


class GoalPage(Page[GoalRead]):
    """A page of a learner's goals, oldest first."""


class SkillGapRead(BaseModel):
    skill_id: uuid.UUID
    slug: str
    name: str
    current_level: float = Field(description="From the learner's profile; 1 (beginner) when unknown.")
    current_level_known: bool = Field(description="False when the profile has no level for this skill yet.")
    current_source: str | None = Field(description="self, diagnostic, import or admin; null when unknown.")
    standard_error: float | None = Field(description="Uncertainty of the current level, when measured.")
    target_level: float
    gap: float = Field(ge=0, description="max(0, target_level - current_level).")


class GoalGapRead(BaseModel):
    goal_id: uuid.UUID
    deadline: date
    days_left: int = Field(ge=0, description="Days from today (UTC) to the deadline; 0 once it has passed.")
    hours_per_week: float
    hours_available: float = Field(ge=0, description="hours_per_week * days_left / 7.")
    total_gap: float = Field(ge=0, description="Sum of the skills' gaps, in levels.")
    hours_per_level: float | None = Field(
        description="hours_available / total_gap: the time there is for each level to gain; null with no gap."
    )
    skills: list[SkillGapRead]
