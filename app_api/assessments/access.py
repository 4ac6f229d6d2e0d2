"""Who may author or take what: course ownership, visibility and enrollment, for assessments.

Course ownership is ``courses.instructor_id`` (null for imported and generated courses: only admins author
on those). Learners see an assessment only when both it and its course are published; authors (the
course's instructor, admins) see everything of their courses.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.courses.models import Course
from app_api.enrollments.models import Enrollment
from skillstudio.web.problems import ProblemError
from skillstudio.web.security import Principal


def get_course(session: Session, course_id: uuid.UUID) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise ProblemError(404, f"Course {course_id} does not exist.")
    return course


def can_author(principal: Principal, course: Course) -> bool:
    return principal.is_admin or (
        principal.role == "instructor" and course.instructor_id == principal.user_id
    )


def require_author(principal: Principal, course: Course) -> None:
    if not can_author(principal, course):
        raise ProblemError(
            403,
            "Only the course's instructor or an admin can author or review its questions and assessments.",
        )


def course_for_authoring(session: Session, principal: Principal, course_id: uuid.UUID) -> Course:
    """The course, row-locked, if the caller may change it (the catalogue's rules: 404 missing, 403 not
    theirs). The lock serialises the edits of a course's bank with the course's own edits."""
    return courses.editable_course(session=session, actor=principal, course_id=course_id)


def course_for_review(session: Session, principal: Principal, course_id: uuid.UUID) -> Course:
    """The course if the caller may read its answer keys: visible to them (else 404) and theirs (else 403)."""
    course = courses.visible_course(session=session, viewer=principal, course_id=course_id)
    require_author(principal, course)
    return course


def active_enrollment_id(session: Session, *, user_id: uuid.UUID, course_id: uuid.UUID) -> uuid.UUID | None:
    """The learner's most recent active or completed enrollment in the course, if any."""
    return session.scalars(
        select(Enrollment.enrollment_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.course_id == course_id,
            Enrollment.status.in_(("active", "completed")),
        )
        .order_by(Enrollment.enrolled_at.desc())
        .limit(1)
    ).first()


def etag(item_id: uuid.UUID, version: int) -> str:
    """The same ETag form as the catalogue's: id and version, compared strongly."""
    return f'"{item_id}.{version}"'


def check_if_match(if_match: str | None, *, current: str, what: str) -> None:
    """428 without ``If-Match``, 412 unless it names the current ETag (weak tags and ``*`` never match, so
    an editor always proves they saw the version they overwrite)."""
    if if_match is None or not if_match.strip():
        raise ProblemError(
            428,
            f"Changing this {what} needs an If-Match header with the ETag from your last read of it.",
            current_etag=current,
        )
    if current not in [tag.strip() for tag in if_match.split(",")]:
        raise ProblemError(
            412,
            f"This {what} was changed since you read it (If-Match {if_match.strip()} is not the current "
            f"ETag {current}); read it again, reapply your change and send the new ETag.",
            current_etag=current,
        )
