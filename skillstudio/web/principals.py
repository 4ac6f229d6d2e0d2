"""Who is calling: the authenticated principal and the short-lived JWT access tokens that carry it.

FastAPI-free, so that services can take a ``Principal`` and the accounts domain can issue tokens without
importing the web framework; the request dependencies that read a token are in ``skillstudio.web.security``.
Access tokens are stateless (user id and role, 15 minutes by default); revocation happens on the refresh
tokens, which the accounts domain stores hashed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from skillstudio.errors import Unauthenticated
from skillstudio.settings import Settings

ROLES = ("learner", "instructor", "admin")
ALGORITHM = "HS256"
# Tokens already verified, by (secret, token): checking an HS256 signature and parsing the claims was a
# third of the CPU of a cached recommendations request (benchmarks/serving.py). A hit still checks the
# expiry; the key holds the secret, so a token is never trusted under a secret it was not verified with.
_VERIFIED: dict[tuple[str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


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
    secret = settings.signing_secret()
    verified = _VERIFIED.get((secret, token))
    if verified is not None and time.time() < verified[1]:
        return verified[0]
    principal, expires_at = _verify(secret, token)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[(secret, token)] = (principal, expires_at)
    return principal


def _verify(secret: str, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("The access token has expired; refresh it or log in again.") from error
    except jwt.PyJWTError as error:
        raise Unauthenticated("The access token is not valid.") from error
    if claims.get("type") != "access" or claims.get("role") not in ROLES:
        raise Unauthenticated("The access token is not valid.")
    try:
        return Principal(user_id=uuid.UUID(claims["sub"]), role=claims["role"]), float(claims["exp"])
    except ValueError as error:
        raise Unauthenticated("The access token is not valid.") from error
