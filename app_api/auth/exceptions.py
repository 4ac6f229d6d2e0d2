"""Refusals whose side effects must be kept.

A failed login records its attempt, and a reused refresh token revokes its family, and both are then
refused. Raising the domain error itself would make the request's session roll back and lose exactly those
writes, so services raise an ``AuthRefusal`` wrapping it, and the auth routes catch it and *return* its
problem document instead: the session dependency then commits. Deliberately not a ``DomainError``: one
that escaped a route would be a loud 500, not a silent rollback of a security record.
"""

from __future__ import annotations

from typing import Any

from skillstudio.errors import DomainError, Forbidden, RateLimited, Unauthenticated


class AuthRefusal(Exception):  # noqa: N818 - a refusal, not an error of the server
    def __init__(self, error: DomainError) -> None:
        super().__init__(error.detail)
        self.error = error


def unauthorized(detail: str, **extra: Any) -> AuthRefusal:
    return AuthRefusal(Unauthenticated(detail, **extra))


def forbidden(detail: str) -> AuthRefusal:
    return AuthRefusal(Forbidden(detail))


def too_many_attempts(*, scope: str, retry_after_seconds: int) -> AuthRefusal:
    whose = "this account" if scope == "account" else "your network address"
    return AuthRefusal(
        RateLimited(
            f"Too many failed password attempts for {whose}; try again in {retry_after_seconds} seconds.",
            retry_after=retry_after_seconds,
            limit=scope,
            retry_after_seconds=retry_after_seconds,
        )
    )
