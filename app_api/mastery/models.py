"""Mastery per learner × skill and the updater's state per learner (tables from migration 0012)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, LargeBinary, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base


class LearnerSkillMastery(Base):
    """What ``GET /learners/{id}/mastery`` answers; rewritten by each answer on the skill."""

    __tablename__ = "learner_skill_mastery"
    __table_args__ = (
        CheckConstraint("p_mastery between 0 and 1", name="p_mastery"),
        CheckConstraint("level between 1 and 10", name="level"),
        CheckConstraint("uncertainty >= 0", name="uncertainty"),
        CheckConstraint("answers_seen >= 0", name="answers_seen"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("skills.skill_id", ondelete="CASCADE"), primary_key=True
    )
    p_mastery: Mapped[float] = mapped_column(Float)
    level: Mapped[float] = mapped_column(Float)
    uncertainty: Mapped[float] = mapped_column(Float)
    answers_seen: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(Text)
    # The last answers on the skill, oldest first, as '1'/'0' (the struggling rule reads them).
    recent: Mapped[str] = mapped_column(Text, server_default="")
    struggling_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LearnerMasteryState(Base):
    """The updater's opaque state for one learner, tagged with the updater version that wrote it."""

    __tablename__ = "learner_mastery_states"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    model_version: Mapped[str] = mapped_column(Text)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
