"""Refusals whose side effects must be kept.

A failed login records its attempt, and a reused refresh token revokes its family, and both are then
refused. Raising a ``ProblemError`` would make the request's session roll back and lose exactly those
writes, so the auth routes catch ``AuthRefusal`` and *return* its problem document instead: the session
dependency then commits. Deliberately not a ``ProblemError`` subclass: one that escaped a route would be
a loud 500, not a silent rollback of a security record.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from skillstudio.web.problems import problem_response


class AuthRefusal(Exception):  # noqa: N818 - a refusal, not an error of the server
    def __init__(
        self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra

    def response(self, request: Request) -> JSONResponse:
        return problem_response(self.status, self.detail, request=request, headers=self.headers, **self.extra)


def unauthorized(detail: str, **extra: Any) -> AuthRefusal:
    return AuthRefusal(401, detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


def too_many_attempts(*, scope: str, retry_after_seconds: int) -> AuthRefusal:
    whose = "this account" if scope == "account" else "your network address"
    return AuthRefusal(
        429,
        f"Too many failed password attempts for {whose}; try again in {retry_after_seconds} seconds.",
        headers={"Retry-After": str(retry_after_seconds)},
        limit=scope,
        retry_after_seconds=retry_after_seconds,
    )
