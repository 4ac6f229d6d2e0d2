"""Request dependencies that say who is calling: the bearer token, the current user and role checks.

Both the learning API and the serving layer use them, so they live here rather than in a domain package.
The principal and the token functions themselves are FastAPI-free, in ``skillstudio.web.principals``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from skillstudio.errors import Forbidden, Unauthenticated
from skillstudio.web.principals import ROLES, Principal, decode_access_token, issue_access_token

__all__ = [
    "ROLES",
    "CurrentUser",
    "OptionalUser",
    "Principal",
    "RequireRole",
    "current_user",
    "decode_access_token",
    "issue_access_token",
    "optional_user",
    "require_role",
]

_DESCRIPTION = "An access token from POST /api/v1/auth/login."
_bearer = HTTPBearer(auto_error=False, description=_DESCRIPTION)
# Same scheme, but a missing token means "anonymous" rather than 401.
_optional_bearer = HTTPBearer(auto_error=False, description=_DESCRIPTION)


async def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    # async although it never awaits: FastAPI runs a sync dependency in a worker thread, and checking a
    # token (microseconds of CPU) is cheaper than the hop to that thread and back on every request.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("This route needs an access token (Authorization: Bearer ...).")
    return decode_access_token(request.app.state.settings, credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_user)]


def optional_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)]
) -> Principal | None:
    """The caller when a token is sent, ``None`` when none is; a bad token is still a 401, never anonymous."""
    if credentials is None:
        return None
    if credentials.scheme.lower() != "bearer":
        raise Unauthenticated("Send the access token as Authorization: Bearer ...")
    return decode_access_token(request.app.state.settings, credentials.credentials)


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through (403 otherwise)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise Forbidden(f"This route is for {' or '.join(roles)} accounts only.")
        return user

    return check


def RequireRole(*roles: str) -> object:  # noqa: N802 - reads like a type in route signatures
    """``Annotated[Principal, RequireRole("admin")]`` in a route signature."""
    return Depends(require_role(*roles))
