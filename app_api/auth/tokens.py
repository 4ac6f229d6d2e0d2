"""Opaque refresh tokens: random, stored only as their SHA-256 digest, rotated on use, revoked by family.

A stolen database dump therefore holds no usable refresh token. SHA-256 (not argon2) is enough because
the tokens are 256 random bits: there is nothing to guess, and lookups by digest stay one index probe.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app_api.auth.models import RefreshToken


@dataclass(frozen=True)
class IssuedToken:
    token: str
    row: RefreshToken


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    *, session: Session, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime, lifetime: timedelta
) -> IssuedToken:
    """A new token of the family; the caller gets the only copy of its plain text."""
    token = secrets.token_urlsafe(32)
    row = RefreshToken(
        refresh_token_id=uuid.uuid4(),
        user_id=user_id,
        family_id=family_id,
        token_hash=digest(token),
        issued_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return IssuedToken(token=token, row=row)


def find(*, session: Session, token: str) -> RefreshToken | None:
    """The stored token, locked until the transaction ends: of two concurrent refreshes with one token,
    the second waits and then sees it rotated, which counts as reuse."""
    query = select(RefreshToken).where(RefreshToken.token_hash == digest(token)).with_for_update()
    return session.scalars(query).one_or_none()


def revoke_family(*, session: Session, family_id: uuid.UUID, reason: str, now: datetime) -> int:
    """Revoke every unrevoked token of a family; returns how many were still live (unexpired), so 0 means
    the session had already ended."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(RefreshToken.expires_at)
    )
    return sum(1 for (expires_at,) in result if expires_at > now)


def revoke_user_families(
    *, session: Session, user_id: uuid.UUID, reason: str, now: datetime
) -> list[uuid.UUID]:
    """Revoke all live tokens of a user; returns the families that were still live (unexpired)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(RefreshToken.family_id, RefreshToken.expires_at)
    )
    return sorted({family_id for family_id, expires_at in result if expires_at > now}, key=str)


def prune(*, session: Session, now: datetime, retention: timedelta) -> int:
    """Delete families whose every token expired more than ``retention`` ago.

    Whole families only: a rotated token must stay findable while its family lives, or presenting it
    again would no longer be recognised as reuse.
    """
    dead = (
        select(RefreshToken.family_id)
        .group_by(RefreshToken.family_id)
        .having(func.max(RefreshToken.expires_at) < now - retention)
    )
    result = session.execute(delete(RefreshToken).where(RefreshToken.family_id.in_(dead)))
    return int(getattr(result, "rowcount", 0) or 0)
