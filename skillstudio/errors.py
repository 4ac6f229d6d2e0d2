"""Domain errors: what a service says went wrong, without knowing about HTTP.

Services raise these; ``skillstudio.web.problems`` maps each class to its status and answers with a
problem+json document. ``detail`` is written for the person reading the answer; ``extra`` adds members to
the problem document (``errors`` with field-level messages, ``current_etag``...).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, detail: str, *, title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.title = title
        self.extra = extra


class InvalidRequest(DomainError):
    """The request cannot be understood as sent (a cursor from another list, a malformed filter)."""


class InvalidContent(DomainError):
    """Well-formed but unacceptable content; ``errors`` lists the fields and what is wrong with each."""

    @classmethod
    def field(
        cls, field: str, message: str, *, detail: str | None = None, kind: str = "value_error"
    ) -> InvalidContent:
        """One field is wrong: ``detail`` (default: ``message``) with a one-entry ``errors`` list."""
        return cls(detail or message, errors=[{"field": field, "message": message, "type": kind}])


class Unauthenticated(DomainError):
    """No valid credentials: no token, an expired one, a wrong password."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotFound(DomainError):
    """No such thing, or one the caller may not know exists."""


class Conflict(DomainError):
    """The change clashes with the current state (a taken email, a duplicate enrollment)."""


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""


class PreconditionRequired(DomainError):
    """A change that must name the version it edits (If-Match) did not."""


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` seconds until the next one may succeed."""

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after: int | None = retry_after


class Unavailable(DomainError):
    """A dependency (the database, a model) cannot answer now; the same request may work shortly, after
    ``retry_after`` seconds when known."""

    def __init__(self, detail: str, *, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


def field_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors as ``{"field": "body.0.actor.id", "message": ...}`` entries, each once.

    FastAPI validates a path parameter once for every dependency that declares it (the route and an
    access-check dependency both name ``learner_id``), so the same error can come twice.
    """
    entries = (
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "message": error["msg"],
            "type": error["type"],
        }
        for error in errors
    )
    unique = {(entry["field"], entry["message"], entry["type"]): entry for entry in entries}
    return list(unique.values())
