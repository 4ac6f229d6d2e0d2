"""Who may read, post and moderate in a course's discussions and reviews.

- Discussions (threads and comments) are open to the course's *participants*: learners with an active or
  completed enrollment, the course's instructor and admins. Anyone else who can see the course gets 403;
  a course they cannot see is 404, as everywhere in the catalogue.
- Reviews and a course's rating are public like the catalogue: anyone who can see the course reads them.
- *Moderators* of a course are its instructor and admins: they pin, lock and hide posts and read reports.
- A hidden post is shown to nobody but its author and the moderators; to them it is marked hidden.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from skillstudio.errors import Forbidden
from skillstudio.web.principals import Principal

NOT_PARTICIPANT = (
    "The discussions of a course are open to its enrolled learners, its instructor and admins; enroll in the "
    "course to read and post."
)


@dataclass(frozen=True)
class Standing:
    """What a caller may do in one course."""

    course: courses.CourseFacts
    viewer: Principal | None
    moderator: bool
    participant: bool

    def sees(self, *, author_id: uuid.UUID, hidden: bool) -> bool:
        """Whether the caller may see a post's content (hidden ones: its author and moderators only)."""
        return not hidden or self.moderator or (self.viewer is not None and self.viewer.user_id == author_id)


def standing(session: Session, *, viewer: Principal | None, course_id: uuid.UUID) -> Standing:
    """The caller's standing in the course (404 if they cannot see the course)."""
    course = courses.visible_course(session=session, viewer=viewer, course_id=course_id)
    moderator = viewer is not None and (viewer.is_admin or course.instructor_id == viewer.user_id)
    participant = moderator or (
        viewer is not None
        and enrollments.active_enrollment_id(session, user_id=viewer.user_id, course_id=course_id) is not None
    )
    return Standing(course=course, viewer=viewer, moderator=moderator, participant=participant)


def participant(session: Session, *, viewer: Principal, course_id: uuid.UUID) -> Standing:
    """The caller's standing, which must be a participant's (403 otherwise)."""
    found = standing(session, viewer=viewer, course_id=course_id)
    if not found.participant:
        raise Forbidden(NOT_PARTICIPANT)
    return found


def moderator(session: Session, *, viewer: Principal, course_id: uuid.UUID) -> Standing:
    """The caller's standing, which must be a moderator's: the course's instructor or an admin (403)."""
    found = standing(session, viewer=viewer, course_id=course_id)
    if not found.moderator:
        raise Forbidden("Only the course's instructor and admins moderate its discussions and reviews.")
    return found
