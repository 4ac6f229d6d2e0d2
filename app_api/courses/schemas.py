"""Catalogue schemas: skills, courses, modules and lessons (Create / Update / Read / Page).

Update schemas are partial (PATCH): a field left out keeps its value; explicit null clears a nullable
field and is refused (422) for the others.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app_api.common.pagination import Page
from app_api.courses.fields import (
    CourseStatus,
    LessonContent,
    Level,
    LongText,
    Minutes,
    Position,
    ShortText,
    Slug,
    Title,
    not_null,
)

ETAG_DESCRIPTION = "Send this back in If-Match to change or delete the item (also in the ETag header)."


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SkillCreate(_Input):
    slug: Slug
    name: Title
    parent: Slug | None = Field(default=None, description="Slug of the parent skill; null for a root skill.")


class SkillUpdate(_Input):
    slug: Slug | None = None
    name: Title | None = None
    parent: Slug | None = Field(default=None, description="Slug of the new parent; null makes it a root.")

    refuse_null = field_validator("slug", "name")(not_null)


class SkillRead(BaseModel):
    skill_id: uuid.UUID
    slug: str
    name: str
    parent_skill_id: uuid.UUID | None
    parent: str | None = Field(description="Slug of the parent skill.")
    version: int
    etag: str = Field(description=ETAG_DESCRIPTION)
    created_at: datetime
    updated_at: datetime


class SkillPage(Page[SkillRead]):
    pass


class SkillRef(BaseModel):
    skill_id: uuid.UUID
    slug: str
    name: str


class CourseRef(BaseModel):
    course_id: uuid.UUID
    title: str


class CourseCreate(_Input):
    title: Title = Field(examples=["SQL for analysts"])
    subject: ShortText = Field(examples=["Data Science"])
    level: Level = Field(description="Difficulty.")
    description: LongText | None = None
    skills: list[Slug] = Field(default_factory=list, max_length=50, description="Skill slugs taught.")
    prerequisites: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="Courses a learner must complete before enrolling."
    )
    instructor_id: uuid.UUID | None = Field(
        default=None,
        description="Admins only: the owning instructor. Instructors always own what they create.",
    )


class CourseUpdate(_Input):
    title: Title | None = None
    subject: ShortText | None = None
    level: Level | None = None
    description: LongText | None = None
    skills: list[Slug] | None = Field(default=None, max_length=50, description="Replaces the skill tags.")
    prerequisites: list[uuid.UUID] | None = Field(
        default=None, max_length=50, description="Replaces the prerequisite courses."
    )
    instructor_id: uuid.UUID | None = Field(
        default=None, description="Admins only: hand the course to another instructor (null: to nobody)."
    )

    refuse_null = field_validator("title", "subject", "level", "skills", "prerequisites")(not_null)


class CourseRead(BaseModel):
    course_id: uuid.UUID
    title: str
    subject: str
    level: str = Field(description="beginner, intermediate or advanced (imports may say otherwise).")
    status: CourseStatus
    description: str | None
    provider: str | None
    instructor_id: uuid.UUID | None
    skills: list[SkillRef]
    prerequisites: list[CourseRef]
    lesson_count: int
    module_count: int
    estimated_minutes: int = Field(description="Sum of the lessons' estimated minutes.")
    version: int
    etag: str = Field(description=ETAG_DESCRIPTION)
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class CoursePage(Page[CourseRead]):
    pass


class ModuleCreate(_Input):
    title: Title
    summary: LongText | None = None
    position: Position | None = Field(default=None, description="Left out: after the last module.")


class ModuleUpdate(_Input):
    title: Title | None = None
    summary: LongText | None = None
    position: Position | None = None

    refuse_null = field_validator("title", "position")(not_null)


class ModuleRead(BaseModel):
    module_id: uuid.UUID
    course_id: uuid.UUID
    position: int
    title: str
    summary: str | None
    version: int
    etag: str = Field(description=ETAG_DESCRIPTION)
    created_at: datetime
    updated_at: datetime


class ModulePage(Page[ModuleRead]):
    pass


class LessonCreate(_Input):
    title: Title
    estimated_minutes: Minutes
    module_id: uuid.UUID | None = Field(default=None, description="A module of the same course.")
    position: Position | None = Field(default=None, description="Left out: after the last lesson.")
    summary: LongText | None = None
    content: LessonContent | None = None
    activity_type: ShortText | None = Field(default=None, examples=["video", "reading", "exercise"])
    is_required: bool = Field(default=True, description="Required lessons decide course completion.")


class LessonUpdate(_Input):
    title: Title | None = None
    estimated_minutes: Minutes | None = None
    module_id: uuid.UUID | None = None
    position: Position | None = None
    summary: LongText | None = None
    content: LessonContent | None = None
    activity_type: ShortText | None = None
    is_required: bool | None = None

    refuse_null = field_validator("title", "estimated_minutes", "position", "is_required")(not_null)


class LessonRead(BaseModel):
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    position: int
    title: str
    estimated_minutes: int
    summary: str | None
    content: str | None
    activity_type: str | None
    is_required: bool
    version: int
    etag: str = Field(description=ETAG_DESCRIPTION)
    created_at: datetime
    updated_at: datetime


class LessonPage(Page[LessonRead]):
    pass
