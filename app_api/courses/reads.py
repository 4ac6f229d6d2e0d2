"""Course representations, built for a page of courses at once (four queries, whatever the page size)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app_api.common.etags import etag
from app_api.courses.models import Course, CoursePrerequisite, CourseSkill, Lesson, Module, Skill
from app_api.courses.schemas import CourseRead, CourseRef, SkillRef


def course_reads(session: Session, *, courses: Sequence[Course]) -> list[CourseRead]:
    ids = [course.course_id for course in courses]
    if not ids:
        return []
    lessons = {
        course_id: (count, minutes)
        for course_id, count, minutes in session.execute(
            select(Lesson.course_id, func.count(), func.coalesce(func.sum(Lesson.estimated_minutes), 0))
            .where(Lesson.course_id.in_(ids))
            .group_by(Lesson.course_id)
        )
    }
    modules: dict[uuid.UUID, int] = dict(
        session.execute(
            select(Module.course_id, func.count()).where(Module.course_id.in_(ids)).group_by(Module.course_id)
        ).all()
    )
    skills: dict[uuid.UUID, list[SkillRef]] = defaultdict(list)
    for course_id, skill in session.execute(
        select(CourseSkill.course_id, Skill)
        .join(Skill, Skill.skill_id == CourseSkill.skill_id)
        .where(CourseSkill.course_id.in_(ids))
        .order_by(Skill.slug)
    ):
        skills[course_id].append(SkillRef(skill_id=skill.skill_id, slug=skill.slug, name=skill.name))
    required = aliased(Course)
    prerequisites: dict[uuid.UUID, list[CourseRef]] = defaultdict(list)
    for course_id, prerequisite_id, title in session.execute(
        select(CoursePrerequisite.course_id, required.course_id, required.title)
        .join(required, required.course_id == CoursePrerequisite.prerequisite_course_id)
        .where(CoursePrerequisite.course_id.in_(ids))
        .order_by(required.title, required.course_id)
    ):
        prerequisites[course_id].append(CourseRef(course_id=prerequisite_id, title=title))
    return [
        CourseRead(
            course_id=course.course_id,
            title=course.title,
            subject=course.subject,
            level=course.level,
            status=course.status,
            description=course.description,
            provider=course.provider,
            instructor_id=course.instructor_id,
            skills=skills[course.course_id],
            prerequisites=prerequisites[course.course_id],
            lesson_count=lessons.get(course.course_id, (0, 0))[0],
            module_count=modules.get(course.course_id, 0),
            estimated_minutes=lessons.get(course.course_id, (0, 0))[1],
            version=course.version,
            etag=etag(course.course_id, course.version),
            created_at=course.created_at,
            updated_at=course.updated_at,
            published_at=course.published_at,
        )
        for course in courses
    ]


def course_read(session: Session, *, course: Course) -> CourseRead:
    return course_reads(session, courses=[course])[0]
