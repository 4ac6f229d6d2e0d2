"""Refresh tokens (hashed, in families) and login attempts (for rate limits shared by all replicas)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Identity, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base


class RefreshToken(Base):
    """One refresh token, known only by its SHA-256 digest.

    A family is everything rotated from one login (or password change): each refresh revokes the token
    used (reason ``rotated``) and issues its successor in the same family. A rotated token presented again
    means two parties hold the family, so the whole family is revoked (``reuse_detected``).
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        CheckConstraint(
            "revoked_reason is null or revoked_reason in "
            "('rotated', 'logout', 'reuse_detected', 'password_changed')",
            name="revoked_reason",
        ),
        CheckConstraint("(revoked_at is null) = (revoked_reason is null)", name="revoked_with_reason"),
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_user_id", "user_id"),
    )

    refresh_token_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_tokens.refresh_token_id", ondelete="SET NULL")
    )


class LoginAttempt(Base):
    """A password check (login or password change) and whether it succeeded; refused (429) ones are not
    stored, so an attacker cannot grow this table beyond the limits per window."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email", "email", "attempted_at"),
        Index("ix_login_attempts_client_ip", "client_ip", "attempted_at"),
    )

    login_attempt_id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    email: Mapped[str] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    client_ip: Mapped[str] = mapped_column(Text)
    succeeded: Mapped[bool] = mapped_column(Boolean)
