"""Who may see and change catalogue items, and the ETag preconditions of concurrent edits.

Visibility: anonymous callers and learners see published courses; instructors also see their own courses
in any state; admins see everything. A course that is not visible answers 404, so drafts do not leak.
Changes: the owning instructor or an admin; courses without an instructor (imported, generated) are
admin-only. A caller who may not change a course gets 403 whether or not they can see it.

Edits use optimistic concurrency: every catalogue item carries a ``version``, its ETag is built from id
and version, and PATCH/DELETE must send it back in ``If-Match``: missing -> 428, stale -> 412.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement, or_, true

from app_api.courses.models import Course
from skillstudio.web.problems import ProblemError
from skillstudio.web.security import Principal, decode_access_token

# Same scheme as skillstudio.web.security's, but a missing token means "anonymous" rather than 401.
_optional_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/login.")


def optional_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)]
) -> Principal | None:
    """The caller when a token is sent, ``None`` when none is; a bad token is still a 401, never anonymous."""
    if credentials is None:
        return None
    if credentials.scheme.lower() != "bearer":
        raise ProblemError(401, "Send the access token as Authorization: Bearer ...")
    return decode_access_token(request.app.state.settings, credentials.credentials)


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


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
        raise ProblemError(403, "Only instructors and admins change the catalogue.")
    if course.instructor_id is None:
        raise ProblemError(403, "This course has no instructor (it was imported); only admins change it.")
    if course.instructor_id != actor.user_id:
        raise ProblemError(403, "This course belongs to another instructor; only they or an admin change it.")


def etag(item_id: uuid.UUID, version: int) -> str:
    return f'"{item_id}.{version}"'


def check_if_match(if_match: str | None, *, current: str, what: str) -> None:
    """Raise 428 when ``If-Match`` is missing and 412 when it does not name the current version.

    Comparison is strong (RFC 9110): weak tags and ``*`` never match, so a client always proves it has
    seen the version it is about to overwrite.
    """
    if if_match is None or not if_match.strip():
        raise ProblemError(
            428,
            f"Changing this {what} needs an If-Match header with the ETag from your last read of it "
            f"(GET it to get one).",
            current_etag=current,
        )
    offered = [tag.strip() for tag in if_match.split(",")]
    if current not in offered:
        raise ProblemError(
            412,
            f"This {what} was changed since you read it (If-Match {if_match.strip()} is not the current "
            f"ETag {current}). GET it again, reapply your change and send the new ETag.",
            current_etag=current,
        )
