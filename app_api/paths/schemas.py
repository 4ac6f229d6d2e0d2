"""Learning paths and next steps over HTTP."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

PathTrigger = Literal["generated", "weekly_adjustment"]


class SkillGainRead(BaseModel):
    skill_id: uuid.UUID
    name: str
    from_level: float
    to_level: float


class PathStepRead(BaseModel):
    position: int = Field(ge=1)
    course_id: uuid.UUID
    title: str
    level: str = Field(description="The course's difficulty: beginner, intermediate, advanced….")
    kind: Literal["course", "modules", "revision"] = Field(
        description="The whole course; only some of its modules; or revision of what was learnt."
    )
    module_ids: list[uuid.UUID] = Field(description="The modules to take when kind is modules or revision.")
    minutes: int = Field(ge=0, description="Estimated minutes, from the catalogue's lesson estimates.")
    start_week: int = Field(ge=0, description="The timeline week the step starts in (1 = this week).")
    end_week: int = Field(ge=0)
    reasons: list[str] = Field(description='Why it is there, e.g. "closes your gap in SQL: level 3 → 6".')
    gains: list[SkillGainRead]


class PathWeekRead(BaseModel):
    week: int = Field(ge=1)
    starts_on: date
    minutes: int = Field(ge=0)
    steps: list[int] = Field(description="Positions of the steps worked on that week.")


class PathReviewRead(BaseModel):
    """The weekly adjustment's reading of the learner (null on a generated path)."""

    progress: Literal["ahead", "on_track", "behind"]
    trend: Literal["improving", "stable", "declining"]
    engagement: Literal["active", "low", "inactive"]
    planned_minutes: int = Field(description="Minutes the previous version planned by now.")
    done_minutes: int = Field(description="Minutes of planned lessons completed since that version.")
    recent_correct_rate: float | None
    earlier_correct_rate: float | None
    active_days_last_week: int


class PathRead(BaseModel):
    snapshot_id: uuid.UUID
    goal_id: uuid.UUID
    learner_id: uuid.UUID
    version: int = Field(ge=1, description="1 for the first path of the goal, then one more per change.")
    trigger: PathTrigger
    created_at: datetime
    hours_per_week: float
    deadline: date
    estimated_finish: date
    feasible: bool = Field(description="Whether the estimated finish is on or before the deadline.")
    message: str = Field(description='e.g. "Cannot meet the deadline …: the earliest date is …".')
    total_minutes: int
    steps: list[PathStepRead]
    timeline: list[PathWeekRead]
    uncovered: list[str] = Field(description="Gaps no published course closes, as sentences.")
    review: PathReviewRead | None
    changes: list[str] = Field(description="What this version changed from the previous one, and why.")


class PathVersionRead(BaseModel):
    snapshot_id: uuid.UUID
    version: int
    trigger: PathTrigger
    created_at: datetime
    estimated_finish: date
    feasible: bool
    steps: int
    review: PathReviewRead | None
    changes: list[str]


class PathHistoryRead(BaseModel):
    goal_id: uuid.UUID
    items: list[PathVersionRead] = Field(description="Every version of the goal's path, newest first.")


class NextStepRead(BaseModel):
    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    kind: Literal["prerequisite", "lesson", "quiz", "revision", "done"] = Field(
        description="A prerequisite course to complete first, a lesson, a quiz, a lesson to revise, or done."
    )
    lesson_id: uuid.UUID | None = None
    assessment_id: uuid.UUID | None = None
    prerequisite_course_id: uuid.UUID | None = None
    title: str | None = None
    reason: str
    then: NextStepRead | None = Field(default=None, description="For a revision: the step it comes before.")
