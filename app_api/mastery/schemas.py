"""What the mastery route answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class SkillMasteryRead(BaseModel):
    skill_id: uuid.UUID
    skill_slug: str
    skill_name: str
    p_mastery: float = Field(ge=0, le=1, description="P(correct) of the learner's next answer on the skill.")
    level: float = Field(ge=1, le=10, description="The profile's scale: 5.5 + 1.5·logit(p_mastery), clipped.")
    uncertainty: float = Field(ge=0, description="Standard error of the level.")
    answers_seen: int = Field(ge=0, description="Answers on the skill behind the estimate.")
    model_version: str = Field(description="The updater that wrote it: a model version or the rule.")
    struggling: bool = Field(description="Whether the learner struggles on the skill now (docs/mastery.md).")
    updated_at: datetime


class MasteryRead(BaseModel):
    learner_id: uuid.UUID
    items: list[SkillMasteryRead]
