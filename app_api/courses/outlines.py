"""The published catalogue as a graph for planners: skills, prerequisites, modules and minutes per course.

One pass of four grouped queries, whatever the catalogue's size; learning paths and next steps read it
through ``courses.service.catalogue_outlines`` / ``course_outline``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app_api.courses.models import Course, CoursePrerequisite, CourseSkill, Lesson, Module


@dataclass(frozen=True)
class ModuleOutline:
    module_id: uuid.UUID
    position: int
    title: str
    minutes: int


@dataclass(frozen=True)
class LessonOutline:
    lesson_id: uuid.UUID
    module_id: uuid.UUID | None
    position: int
    title: str
    minutes: int
    is_required: bool


@dataclass(frozen=True)
class CourseOutline:
    """A published course as a planner sees it; ``minutes`` counts every lesson, modules' or not."""

    course_id: uuid.UUID
    title: str
    level: str
    skill_ids: frozenset[uuid.UUID]
    prerequisite_ids: frozenset[uuid.UUID]
    modules: tuple[ModuleOutline, ...]
    minutes: int
    lessons: tuple[LessonOutline, ...]  # in position order


def outlines(session: Session, *, course_ids: Collection[uuid.UUID] | None = None) -> list[CourseOutline]:
    """Outlines of the published courses, or of the courses of ``course_ids`` whatever their status (a
    learner enrolled in a course keeps taking it after it is unpublished), by title."""
    statement = select(Course.course_id, Course.title, Course.level)
    if course_ids is None:
        statement = statement.where(Course.status == "published")
    else:
        statement = statement.where(Course.course_id.in_(course_ids))
    rows = session.execute(statement.order_by(Course.title, Course.course_id)).all()
    ids = [row.course_id for row in rows]
    skills: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for course_id, skill_id in session.execute(
        select(CourseSkill.course_id, CourseSkill.skill_id).where(CourseSkill.course_id.in_(ids))
    ):
        skills[course_id].add(skill_id)
    required: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for course_id, prerequisite_id in session.execute(
        select(CoursePrerequisite.course_id, CoursePrerequisite.prerequisite_course_id).where(
            CoursePrerequisite.course_id.in_(ids)
        )
    ):
        required[course_id].add(prerequisite_id)
    lessons: dict[uuid.UUID, list[LessonOutline]] = defaultdict(list)
    for lesson_row in session.execute(
        select(Lesson.course_id, Lesson.lesson_id, Lesson.module_id, Lesson.position, Lesson.title,
               Lesson.estimated_minutes, Lesson.is_required)
        .where(Lesson.course_id.in_(ids))
        .order_by(Lesson.course_id, Lesson.position)
    ):  # fmt: skip
        lessons[lesson_row.course_id].append(LessonOutline(*lesson_row[1:]))
    minutes = func.coalesce(func.sum(Lesson.estimated_minutes), 0)
    modules: dict[uuid.UUID, list[ModuleOutline]] = defaultdict(list)
    for module_row in session.execute(
        select(Module.course_id, Module.module_id, Module.position, Module.title, minutes)
        .outerjoin(Lesson, Lesson.module_id == Module.module_id)
        .where(Module.course_id.in_(ids))
        .group_by(Module.course_id, Module.module_id, Module.position, Module.title)
        .order_by(Module.course_id, Module.position)
    ):
        modules[module_row.course_id].append(
            ModuleOutline(module_row.module_id, module_row.position, module_row.title, int(module_row[4]))
        )
    return [
        CourseOutline(
            course_id=row.course_id,
            title=row.title,
            level=row.level,
            skill_ids=frozenset(skills[row.course_id]),
            prerequisite_ids=frozenset(required[row.course_id]),
            modules=tuple(modules[row.course_id]),
            minutes=sum(lesson.minutes for lesson in lessons[row.course_id]),
            lessons=tuple(lessons[row.course_id]),
        )
        for row in rows
    ]
