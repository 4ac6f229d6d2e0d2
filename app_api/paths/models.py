"""Learning-path snapshots (table from migration 0015): one row per version of a goal's path."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base

TRIGGERS = ("generated", "weekly_adjustment")


class LearningPathSnapshot(Base):
    __tablename__ = "learning_path_snapshots"
    __table_args__ = (CheckConstraint("trigger in ('generated', 'weekly_adjustment')", name="trigger"),)

    snapshot_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learning_goals.goal_id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(Text)
    hours_per_week: Mapped[float] = mapped_column(Float)
    deadline: Mapped[date] = mapped_column(Date)
    estimated_finish: Mapped[date] = mapped_column(Date)
    feasible: Mapped[bool] = mapped_column(Boolean)
    plan: Mapped[dict[str, Any]] = mapped_column(JSONB)
    review: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    changes: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
