"""Enrollment schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app_api.common.pagination import Page

EnrollmentStatus = Literal["active", "completed", "dropped"]


class EnrollmentRead(BaseModel):
    enrollment_id: uuid.UUID = Field(description="Also the xAPI registration of the learner's events.")
    user_id: uuid.UUID
    course_id: uuid.UUID
    course_title: str
    status: EnrollmentStatus
    enrolled_at: datetime
    completed_at: datetime | None
    unregistered_at: datetime | None = Field(description="When the learner dropped the course.")
    course_run_id: uuid.UUID | None = Field(description="The cohort, for imported enrollments.")
    outcome: str | None = Field(description="Final result of imported enrollments (pass, fail, ...).")


class EnrollmentPage(Page[EnrollmentRead]):
    pass
