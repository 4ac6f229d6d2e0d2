"""Who may author or take what: course ownership, visibility and enrollment, for assessments.

Course ownership is ``courses.instructor_id`` (null for imported and generated courses: only admins author
on those). Learners see an assessment only when both it and its course are published; authors (the
course's instructor, admins) see everything of their courses.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app_api.courses import service as courses
from skillstudio.errors import Forbidden, NotFound
from skillstudio.web.principals import Principal


def get_course(session: Session, *, course_id: uuid.UUID) -> courses.CourseFacts:
    course = courses.course_facts(session, course_id=course_id)
    if course is None:
        raise NotFound(f"Course {course_id} does not exist.")
    return course


def can_author(principal: Principal, course: courses.CourseFacts) -> bool:
    return principal.is_admin or (
        principal.role == "instructor" and course.instructor_id == principal.user_id
    )


def require_author(principal: Principal, course: courses.CourseFacts) -> None:
    if not can_author(principal, course):
        raise Forbidden(
            "Only the course's instructor or an admin can author or review its questions and assessments."
        )


def course_for_authoring(
    session: Session, *, principal: Principal, course_id: uuid.UUID
) -> courses.CourseFacts:
    """The course, row-locked, if the caller may change it (the catalogue's rules: 404 missing, 403 not
    theirs). The lock serialises the edits of a course's bank with the course's own edits."""
    return courses.editable_course(session=session, actor=principal, course_id=course_id)


def course_for_review(session: Session, *, principal: Principal, course_id: uuid.UUID) -> courses.CourseFacts:
    """The course if the caller may read its answer keys: visible to them (else 404) and theirs (else 403)."""
    course = courses.visible_course(session=session, viewer=principal, course_id=course_id)
    require_author(principal, course)
    return course
