"""Lesson progress and progress summaries (for the learner, and in aggregate for the course's instructor)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app_api.common.pagination import Page
from app_api.enrollments.schemas import EnrollmentStatus


class LessonProgressUpdate(BaseModel):
    """One progress report. Every field is optional; an empty report just marks the lesson started."""

    model_config = ConfigDict(extra="forbid")

    percent: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="How far through the lesson. Percent never goes down: a lower value than the stored one "
        "is ignored (a learner re-reading an earlier part keeps their progress). 100 completes the lesson.",
    )
    time_spent_s: float | None = Field(
        default=None,
        ge=0,
        le=86_400,
        description="Seconds spent since the previous report; added to the total.",
    )
    completed: bool | None = Field(
        default=None,
        description="true completes the lesson (percent becomes 100); false is ignored, completion is final.",
    )


class LessonProgressRead(BaseModel):
    enrollment_id: uuid.UUID
    lesson_id: uuid.UUID
    position: int
    title: str
    is_required: bool
    started_at: datetime | None = Field(description="Null until the first report.")
    percent: int
    time_spent_s: float
    completed_at: datetime | None


class LessonProgressPage(Page[LessonProgressRead]):
    pass


class CourseProgressRead(BaseModel):
    """One enrollment's progress through its course."""

    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    course_title: str
    status: EnrollmentStatus
    lessons_total: int
    lessons_required: int = Field(
        description="Lessons that decide completion (all lessons if none is marked)."
    )
    lessons_completed: int
    required_completed: int
    percent: float = Field(description="Mean percent over the required lessons, 0-100.")
    time_spent_s: float
    enrolled_at: datetime
    completed_at: datetime | None


class CourseProgressPage(Page[CourseProgressRead]):
    pass


class ProgressReportRead(BaseModel):
    """What a progress report left behind: the lesson's progress and the course's."""

    lesson: LessonProgressRead
    course: CourseProgressRead


class LearnerProgressRead(BaseModel):
    """A learner's totals over all their enrollments, with one page of per-course progress."""

    user_id: uuid.UUID
    enrollments_active: int
    enrollments_completed: int
    enrollments_dropped: int
    lessons_completed: int
    time_spent_s: float
    courses: list[CourseProgressRead] = Field(description="Newest enrollment first.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page of courses.")


class CourseProgressAggregateRead(BaseModel):
    """A course's progress in aggregate: counts and means only, never a learner's identity."""

    course_id: uuid.UUID
    title: str
    enrollments_active: int
    enrollments_completed: int
    enrollments_dropped: int
    completion_rate: float = Field(description="Completed enrollments over all enrollments, 0-1.")
    mean_percent: float = Field(description="Mean course percent over enrollments not dropped, 0-100.")
    mean_time_spent_s: float = Field(description="Mean time over enrollments not dropped.")


class LessonFunnelRead(BaseModel):
    lesson_id: uuid.UUID
    position: int
    title: str
    is_required: bool
    learners_started: int
    learners_completed: int
    mean_percent: float = Field(description="Mean percent among the learners who started it.")


class LessonFunnelPage(Page[LessonFunnelRead]):
    pass
