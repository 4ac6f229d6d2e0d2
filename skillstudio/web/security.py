"""Who is calling: short-lived JWT access tokens and the role checks routes depend on.

Access tokens are stateless (user id and role, 15 minutes by default); revocation happens on the refresh
tokens, which the accounts domain stores hashed. Both the learning API and the serving layer use the
dependencies below, so they live here rather than in a domain package.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from skillstudio.settings import Settings
from skillstudio.web.problems import ProblemError

ROLES = ("learner", "instructor", "admin")
ALGORITHM = "HS256"
_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/login.")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: uuid.UUID
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_act_for(self, user_id: uuid.UUID) -> bool:
        """A learner acts for themselves only; admins act for anyone."""
        return self.is_admin or self.user_id == user_id


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, role: str, now: datetime | None = None
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "role": role,
        "type": "access",
        "iat": issued,
        "exp": issued + timedelta(minutes=settings.access_token_minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm=ALGORITHM)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def decode_access_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token, settings.signing_secret(), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as error:
        raise _unauthorized("The access token has expired; refresh it or log in again.") from error
    except jwt.PyJWTError as error:
        raise _unauthorized("The access token is not valid.") from error
    if claims.get("type") != "access" or claims.get("role") not in ROLES:
        raise _unauthorized("The access token is not valid.")
    try:
        return Principal(user_id=uuid.UUID(claims["sub"]), role=claims["role"])
    except ValueError as error:
        raise _unauthorized("The access token is not valid.") from error


async def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    # async although it never awaits: FastAPI runs a sync dependency in a worker thread, and checking a
    # token (microseconds of CPU) is cheaper than the hop to that thread and back on every request.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("This route needs an access token (Authorization: Bearer ...).")
    return decode_access_token(request.app.state.settings, credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through (403 otherwise)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise ProblemError(403, f"This route is for {' or '.join(roles)} accounts only.")
        return user

    return check


def RequireRole(*roles: str) -> object:  # noqa: N802 - reads like a type in route signatures
    """``Annotated[Principal, RequireRole("admin")]`` in a route signature."""
    return Depends(require_role(*roles))
