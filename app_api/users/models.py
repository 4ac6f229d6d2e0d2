"""Accounts and learner profiles: who a user is, what they prefer, and how good they are at each skill."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base

ROLES = ("learner", "instructor", "admin")


class User(Base):
    """An account. Imported learners (e.g. OULAD students) have neither email nor password and cannot log in;
    accounts that log in store their email normalised (see ``app_api.users.emails``)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role in ('learner', 'instructor', 'admin')", name="role"),
        CheckConstraint("password_hash is null or email is not null", name="password_needs_email"),
        # Case-insensitive uniqueness also holds for rows written by bulk writers that skip normalisation.
        Index("uq_users_email_lower", text("lower(email) text_pattern_ops"), unique=True),
        Index("ix_users_created_at", "created_at", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, default="learner", server_default="learner")
    # argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash); never logged, never returned.
    password_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LearnerProfile(Base):
    """Preferences the learner sets and attributes imported about them (read-only through the API)."""

    __tablename__ = "learner_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    preferences: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LearnerSkillLevel(Base):
    """A learner's level on one skill, 1-10, with the uncertainty of the estimate when it was measured."""

    __tablename__ = "learner_skill_levels"
    __table_args__ = (
        CheckConstraint("level between 1 and 10", name="level"),
        CheckConstraint("standard_error is null or standard_error >= 0", name="standard_error"),
        CheckConstraint("source in ('self', 'diagnostic', 'import', 'admin', 'mastery')", name="source"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("skills.skill_id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[float] = mapped_column(Float)
    standard_error: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
