"""Who may see and change catalogue items.

Visibility: anonymous callers and learners see published courses; instructors also see their own courses
in any state; admins see everything. A course that is not visible answers 404, so drafts do not leak.
Changes: the owning instructor or an admin; courses without an instructor (imported, generated) are
admin-only. A caller who may not change a course gets 403 whether or not they can see it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from app_api.courses.models import Course
from skillstudio.errors import Forbidden
from skillstudio.web.principals import Principal


def can_view(course: Course, viewer: Principal | None) -> bool:
    if course.status == "published":
        return True
    if viewer is None:
        return False
    return viewer.is_admin or (viewer.role == "instructor" and course.instructor_id == viewer.user_id)


def visible_clause(viewer: Principal | None) -> ColumnElement[bool]:
    """The SQL form of ``can_view`` for list queries."""
    if viewer is not None and viewer.is_admin:
        return true()
    published = Course.status == "published"
    if viewer is not None and viewer.role == "instructor":
        return or_(published, Course.instructor_id == viewer.user_id)
    return published


def require_editor(course: Course, actor: Principal) -> None:
    """403 unless ``actor`` may change ``course``."""
    if actor.is_admin:
        return
    if actor.role != "instructor":
        raise Forbidden("Only instructors and admins change the catalogue.")
    if course.instructor_id is None:
        raise Forbidden("This course has no instructor (it was imported); only admins change it.")
    if course.instructor_id != actor.user_id:
        raise Forbidden("This course belongs to another instructor; only they or an admin change it.")
