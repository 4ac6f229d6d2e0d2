from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app_api.common.pagination import Page

Band = Literal["low", "medium", "high"]


class RiskReason(BaseModel):
    feature: str = Field(description="The model input behind the reason, e.g. `days_since_last_activity`.")
    text: str = Field(description='The reason in plain words, e.g. "no activity for 12 days".')
    value: float | None = Field(description="The enrollment's value of the feature (null: not known yet).")
    contribution: float = Field(
        description="How much the feature lowered the log-odds of completing (negative: more risk)."
    )


class SuggestedAction(BaseModel):
    kind: Literal["next_lesson", "assessment_due", "resume_activity", "revise", "reach_out"]
    text: str
    link: str | None = Field(default=None, description="The API path of what the action is about, if any.")


class EnrollmentRiskRead(BaseModel):
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    probability: float = Field(description="Calibrated P(the enrollment completes), 0-1.")
    risk: float = Field(description="1 - probability: the chance of not completing.")
    band: Band
    reasons: list[RiskReason] = Field(description="What lowered the chance of completing most, first first.")
    suggested_actions: list[SuggestedAction]
    day_k: int = Field(description="The day of the course run the features were taken at.")
    model_version: str
    scored_at: datetime


class AtRiskLearner(BaseModel):
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    display_name: str | None
    probability: float
    risk: float
    band: Band
    reasons: list[RiskReason]
    day_k: int
    scored_at: datetime


class AtRiskPage(Page[AtRiskLearner]):
    course_id: uuid.UUID
    min_risk: float
