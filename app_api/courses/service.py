"""Courses: authoring with ownership and ETags, publication states, skill tags and prerequisites.

Other domains use this module, never the catalogue's ORM classes: course lookups (``visible_course``,
``editable_course``, ``course_facts``, answering ``CourseFacts``), an instructor's courses
(``courses_taught_by``), a course's prerequisites (``prerequisites``; whether a learner completed them is
the enrollments' to say), titles, skills by id, and ``course_rows`` / ``lesson_rows`` for reports that join
courses or lessons.

Events (actor = the acting user, object = the course): ``created``; ``updated`` with
``extensions.changed`` naming the changed fields; publish / unpublish / archive are ``updated`` with
``extensions.status`` and ``extensions.previous_status``; ``deleted``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, case, delete, exists, select, text
from sqlalchemy.orm import Session

from app_api.common.etags import check_if_match, etag
from app_api.common.loading import load
from app_api.courses import outlines, skill_service
from app_api.courses.access import can_view, require_editor
from app_api.courses.models import Course, CoursePrerequisite, CourseSkill, Lesson, Skill
from app_api.courses.reads import course_read
from app_api.courses.schemas import CourseCreate, CourseRead, CourseRef, CourseUpdate, SkillRef
from skillstudio.errors import Conflict, Forbidden, InvalidContent, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": (("draft", "archived"), "published"),
    "unpublish": (("published",), "draft"),
    "archive": (("draft", "published"), "archived"),
}

_HAS_ENROLLMENTS = text("select exists (select 1 from enrollments where course_id = :course_id)")

_FIND_PREREQUISITE_CYCLE = text(
    """
    with recursive walk(course_id, path) as (
        select required, array[cast(:course_id as uuid), required]
        from unnest(cast(:required as uuid[])) as required
        union all
        select edge.prerequisite_course_id, walk.path || edge.prerequisite_course_id
        from walk join course_prerequisites edge on edge.course_id = walk.course_id
        where walk.course_id <> cast(:course_id as uuid)
          and not edge.prerequisite_course_id = any(walk.path[2:])
          and cardinality(walk.path) < 1000
    )
    select path from walk where course_id = cast(:course_id as uuid) limit 1
    """
)


@dataclass(frozen=True)
class CourseFacts:
    """What other domains decide by: a course's title, state and owner (null: imported, admins only)."""

    course_id: uuid.UUID
    title: str
    status: str
    instructor_id: uuid.UUID | None


def _facts(course: Course) -> CourseFacts:
    return CourseFacts(
        course_id=course.course_id,
        title=course.title,
        status=course.status,
        instructor_id=course.instructor_id,
    )


def _not_found(course_id: uuid.UUID) -> str:
    return f"There is no course {course_id} that you can see; GET /api/v1/courses lists them."


def _visible(session: Session, viewer: Principal | None, course_id: uuid.UUID) -> Course:
    course = session.get(Course, course_id)
    if course is None or not can_view(course, viewer):
        raise NotFound(_not_found(course_id))
    return course


def _editable(session: Session, actor: Principal, course_id: uuid.UUID) -> Course:
    return load(
        session,
        Course,
        course_id,
        missing=_not_found(course_id),
        authorise=lambda course: require_editor(course, actor),
        lock=True,
    )


def visible_course(*, session: Session, viewer: Principal | None, course_id: uuid.UUID) -> CourseFacts:
    """The course if ``viewer`` may see it, else 404 (unpublished courses do not reveal themselves)."""
    return _facts(_visible(session, viewer, course_id))


def editable_course(*, session: Session, actor: Principal, course_id: uuid.UUID) -> CourseFacts:
    """The course, row-locked for the rest of the transaction, if ``actor`` may change it (403 if not).

    The lock serialises every edit of a course and its modules and lessons, so checks such as "this
    position is free" and "this If-Match is current" cannot race.
    """
    return _facts(_editable(session, actor, course_id))


def course_facts(session: Session, *, course_id: uuid.UUID) -> CourseFacts | None:
    """The course whoever asks, or None: for callers with access rules of their own (an instructor's
    reports, an attempt's reviewers)."""
    course = session.get(Course, course_id)
    return None if course is None else _facts(course)


def courses_taught_by(session: Session, *, instructor_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the courses naming ``instructor_id`` as their instructor, whatever their state."""
    return list(
        session.scalars(
            select(Course.course_id).where(Course.instructor_id == instructor_id).order_by(Course.course_id)
        )
    )


def get_course(*, session: Session, viewer: Principal | None, course_id: uuid.UUID) -> CourseRead:
    return course_read(session, course=_visible(session, viewer, course_id))


def _event(session: Session, actor: Principal, verb: str, course: Course, **extensions: Any) -> None:
    record_event(
        session,
        actor_id=actor.user_id,
        verb=verb,
        object_type="course",
        object_id=course.course_id,
        course_id=course.course_id,
        extensions=extensions,
    )


def _instructor(session: Session, actor: Principal, instructor_id: uuid.UUID | None) -> uuid.UUID | None:
    if not actor.is_admin:
        raise Forbidden("Only admins choose or change a course's instructor.")
    if instructor_id is None:
        return None
    role = session.scalar(text("select role from users where user_id = :id"), {"id": instructor_id})
    if role != "instructor":
        raise InvalidContent(
            f"User {instructor_id} is not an instructor; a course belongs to an instructor account.",
            errors=[{"field": "body.instructor_id", "message": "not an instructor", "type": "role"}],
        )
    return instructor_id


def _prerequisite_courses(
    session: Session, actor: Principal, course: Course, wanted: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Validate a new prerequisite set: courses the actor can see, and no cycle (422 naming it)."""
    required = list(dict.fromkeys(wanted))
    found = {
        item.course_id: item for item in session.scalars(select(Course).where(Course.course_id.in_(required)))
    }
    missing = [
        (index, cid)
        for index, cid in enumerate(wanted)
        if cid not in found or not can_view(found[cid], actor)
    ]
    if missing:
        raise InvalidContent(
            f"Unknown prerequisite courses: {', '.join(str(cid) for _, cid in missing)}.",
            errors=[
                {"field": f"body.prerequisites.{index}", "message": f"no course {cid}", "type": "unknown"}
                for index, cid in missing
            ],
        )
    # One prerequisite edit at a time: two concurrent edits could otherwise close a cycle together.
    session.execute(text("select pg_advisory_xact_lock(hashtext('course_prerequisites'))"))
    path = session.scalar(_FIND_PREREQUISITE_CYCLE, {"course_id": course.course_id, "required": required})
    if path is not None:
        titles = dict(
            session.execute(select(Course.course_id, Course.title).where(Course.course_id.in_(path))).all()
        )
        titles[course.course_id] = course.title
        cycle = [CourseRef(course_id=cid, title=titles[cid]) for cid in path]
        chain = " requires ".join(f"{ref.title!r}" for ref in cycle)
        raise InvalidContent(
            f"These prerequisites would make a cycle: {chain}. A course cannot (indirectly) require itself.",
            cycle=[ref.model_dump(mode="json") for ref in cycle],
        )
    return required


def _replace_links(
    session: Session, course: Course, skills: list[uuid.UUID] | None, required: list[uuid.UUID] | None
) -> None:
    if skills is not None:
        session.execute(delete(CourseSkill).where(CourseSkill.course_id == course.course_id))
        session.add_all(CourseSkill(course_id=course.course_id, skill_id=skill_id) for skill_id in skills)
    if required is not None:
        session.execute(delete(CoursePrerequisite).where(CoursePrerequisite.course_id == course.course_id))
        session.add_all(
            CoursePrerequisite(course_id=course.course_id, prerequisite_course_id=cid) for cid in required
        )
    session.flush()


def _skill_ids(session: Session, slugs: list[str]) -> list[uuid.UUID]:
    return [
        skill.skill_id for skill in skill_service.skills_by_slug(session=session, slugs=slugs, field="skills")
    ]


def create_course(*, session: Session, actor: Principal, data: CourseCreate) -> CourseRead:
    """A new draft course; instructors own what they create, admins may name an instructor."""
    if actor.is_admin:
        instructor_id = _instructor(session, actor, data.instructor_id)
    elif data.instructor_id not in (None, actor.user_id):
        raise Forbidden("Only admins create courses for another instructor; leave instructor_id out.")
    else:
        instructor_id = actor.user_id
    now = datetime.now(UTC)
    course = Course(
        course_id=uuid.uuid4(),
        title=data.title,
        subject=data.subject,
        level=data.level,
        description=data.description,
        status="draft",
        instructor_id=instructor_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    skills = _skill_ids(session, data.skills)
    session.add(course)
    session.flush()
    required = _prerequisite_courses(session, actor, course, data.prerequisites)
    _replace_links(session, course, skills, required)
    _event(session, actor, "created", course, status="draft")
    return course_read(session, course=course)


def update_course(
    *, session: Session, actor: Principal, course_id: uuid.UUID, if_match: str | None, data: CourseUpdate
) -> CourseRead:
    course = _editable(session, actor, course_id)
    check_if_match(if_match, current=etag(course.course_id, course.version), what="course")
    changes = data.model_dump(exclude_unset=True)
    changed: list[str] = []
    # Sending the current instructor back (as a client echoing a read does) is no change; anything else is
    # a hand-over, which only admins make.
    if "instructor_id" in changes and changes["instructor_id"] == course.instructor_id:
        del changes["instructor_id"]
    if "instructor_id" in changes:
        course.instructor_id = _instructor(session, actor, changes.pop("instructor_id"))
        changed.append("instructor_id")
    skills = _skill_ids(session, changes.pop("skills")) if "skills" in changes else None
    required = changes.pop("prerequisites", None)
    if required is not None:
        required = _prerequisite_courses(session, actor, course, required)
    links = _current_links(session, course.course_id)
    if skills is not None and set(skills) != links[0]:
        changed.append("skills")
    if required is not None and set(required) != links[1]:
        changed.append("prerequisites")
    for name, value in changes.items():
        if getattr(course, name) != value:
            setattr(course, name, value)
            changed.append(name)
    if not changed:
        return course_read(session, course=course)
    _replace_links(session, course, skills, required)
    course.version += 1
    course.updated_at = datetime.now(UTC)
    session.flush()
    _event(session, actor, "updated", course, changed=sorted(changed))
    return course_read(session, course=course)


def _current_links(session: Session, course_id: uuid.UUID) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    skills = set(session.scalars(select(CourseSkill.skill_id).where(CourseSkill.course_id == course_id)))
    required = set(
        session.scalars(
            select(CoursePrerequisite.prerequisite_course_id).where(CoursePrerequisite.course_id == course_id)
        )
    )
    return skills, required


def change_status(
    *, session: Session, actor: Principal, course_id: uuid.UUID, action: str, if_match: str | None
) -> CourseRead:
    """publish / unpublish / archive. If-Match is optional here (checked when sent): a transition
    overwrites no content, and an invalid one is refused by state (409) anyway."""
    course = _editable(session, actor, course_id)
    if if_match is not None:
        check_if_match(if_match, current=etag(course.course_id, course.version), what="course")
    sources, target = TRANSITIONS[action]
    if course.status not in sources:
        raise Conflict(
            f"Cannot {action} a course that is {course.status}; {action} applies to "
            f"{' or '.join(sources)} courses.",
            status_now=course.status,
        )
    if target == "published" and not session.scalar(select(exists().where(Lesson.course_id == course_id))):
        raise Conflict("A course needs at least one lesson before it is published; add lessons first.")
    previous = course.status
    now = datetime.now(UTC)
    course.status = target
    if target == "published":
        course.published_at = now
    course.version += 1
    course.updated_at = now
    session.flush()
    _event(session, actor, "updated", course, status=target, previous_status=previous)
    return course_read(session, course=course)


def delete_course(*, session: Session, actor: Principal, course_id: uuid.UUID, if_match: str | None) -> None:
    """Delete a course nobody has enrolled in (with its modules and lessons); otherwise archive it."""
    course = _editable(session, actor, course_id)
    check_if_match(if_match, current=etag(course.course_id, course.version), what="course")
    # The enrollments domain builds on this one, so its table is asked directly rather than imported.
    if session.scalar(_HAS_ENROLLMENTS, {"course_id": course_id}):
        raise Conflict("Learners have enrolled in this course; archive it instead of deleting it.")
    dependants = session.scalars(
        select(Course.title)
        .join(CoursePrerequisite, CoursePrerequisite.course_id == Course.course_id)
        .where(CoursePrerequisite.prerequisite_course_id == course_id)
    ).all()
    if dependants:
        raise Conflict(
            f"Other courses require this one ({', '.join(sorted(dependants))}); remove it from their "
            "prerequisites first.",
        )
    session.delete(course)
    session.flush()
    _event(session, actor, "deleted", course, title=course.title)


def prerequisites(session: Session, *, course_id: uuid.UUID) -> list[CourseRef]:
    """The courses ``course_id`` requires, by title."""
    rows = session.execute(
        select(Course.course_id, Course.title)
        .join(CoursePrerequisite, CoursePrerequisite.prerequisite_course_id == Course.course_id)
        .where(CoursePrerequisite.course_id == course_id)
        .order_by(Course.title, Course.course_id)
    )
    return [CourseRef(course_id=cid, title=title) for cid, title in rows]


def course_titles(session: Session, *, course_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The titles of the given courses (those that exist)."""
    rows = session.execute(select(Course.course_id, Course.title).where(Course.course_id.in_(course_ids)))
    return dict(rows.tuples().all())


def skills_by_id(session: Session, *, skill_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, SkillRef]:
    """The skills among ``skill_ids`` that exist, in slug order."""
    rows = session.scalars(select(Skill).where(Skill.skill_id.in_(skill_ids)).order_by(Skill.slug))
    return {
        skill.skill_id: SkillRef(skill_id=skill.skill_id, slug=skill.slug, name=skill.name) for skill in rows
    }


def course_rows() -> Select[uuid.UUID, uuid.UUID | None, str]:
    """Every course as plain columns (course_id, instructor_id, status), for other domains' reports to
    join (``.subquery()``) and decide access in one query of their own."""
    return select(Course.course_id, Course.instructor_id, Course.status)


def lesson_rows() -> Select[uuid.UUID, uuid.UUID, uuid.UUID | None, int, str, bool]:
    """Every lesson as plain columns (lesson_id, course_id, module_id, position, title, is_required), for
    other domains' reports to join (``.subquery()``) and filter in one query of their own."""
    return select(
        Lesson.lesson_id,
        Lesson.course_id,
        Lesson.module_id,
        Lesson.position,
        Lesson.title,
        Lesson.is_required,
    )


def catalogue_outlines(
    session: Session, *, course_ids: Collection[uuid.UUID] | None = None
) -> list[outlines.CourseOutline]:
    """The published courses (or those of ``course_ids``, any status) with skills, prerequisites, modules,
    lessons and minutes."""
    return outlines.outlines(session, course_ids=course_ids)


@dataclass(frozen=True)
class LessonRef:
    lesson_id: uuid.UUID
    title: str
    course_id: uuid.UUID
    course_title: str


_LEVEL_ORDER = {"beginner": 0, "intermediate": 1, "advanced": 2}


def lessons_for_skill(session: Session, *, skill_id: uuid.UUID, limit: int = 5) -> list[LessonRef]:
    """Lessons of published courses tagged with the skill, easiest course level first, in course order
    (revision material for a learner struggling on the skill)."""
    level = case(_LEVEL_ORDER, value=Course.level, else_=len(_LEVEL_ORDER))
    rows = session.execute(
        select(Lesson.lesson_id, Lesson.title, Course.course_id, Course.title)
        .join(Course, Course.course_id == Lesson.course_id)
        .join(CourseSkill, CourseSkill.course_id == Course.course_id)
        .where(CourseSkill.skill_id == skill_id, Course.status == "published")
        .order_by(level, Course.title, Lesson.position)
        .limit(limit)
    ).all()
    return [LessonRef(*row) for row in rows]
