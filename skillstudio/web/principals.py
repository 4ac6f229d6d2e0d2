"""Who is calling: the authenticated principal and the short-lived JWT access tokens that carry it.

FastAPI-free, so that services can take a ``Principal`` and the accounts domain can issue tokens without
importing the web framework; the request dependencies that read a token are in ``skillstudio.web.security``.
Access tokens are stateless (user id and role, 15 minutes by default); revocation happens on the refresh
tokens, which the accounts domain stores hashed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from skillstudio.errors import Unauthenticated
from skillstudio.settings import Settings

ROLES = ("learner", "instructor", "admin")
ALGORITHM = "HS256"


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


def decode_access_token(settings: Settings, token: str) -> Principal:
    """The principal a valid access token names; ``Unauthenticated`` for anything else."""
    try:
        claims = jwt.decode(
            token, settings.signing_secret(), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("The access token has expired; refresh it or log in again.") from error
    except jwt.PyJWTError as error:
        raise Unauthenticated("The access token is not valid.") from error
    if claims.get("type") != "access" or claims.get("role") not in ROLES:
        raise Unauthenticated("The access token is not valid.")
    try:
        return Principal(user_id=uuid.UUID(claims["sub"]), role=claims["role"])
    except ValueError as error:
        raise Unauthenticated("The access token is not valid.") from error
