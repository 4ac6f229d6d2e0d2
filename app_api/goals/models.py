"""A learner's goals (tables from migration 0009)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base

GOAL_STATUSES = ("active", "achieved", "abandoned")


class LearningGoal(Base):
    __tablename__ = "learning_goals"
    __table_args__ = (
        CheckConstraint("hours_per_week > 0 and hours_per_week <= 168", name="hours_per_week"),
        CheckConstraint("status in ('active', 'achieved', 'abandoned')", name="status"),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    hours_per_week: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LearningGoalSkill(Base):
    """One target of a goal: reach ``target_level`` (1-10) on a skill."""

    __tablename__ = "learning_goal_skills"
    __table_args__ = (CheckConstraint("target_level between 1 and 10", name="target_level"),)

    goal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_goals.goal_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("skills.skill_id", ondelete="RESTRICT"), primary_key=True
    )
    target_level: Mapped[float] = mapped_column(Float)
