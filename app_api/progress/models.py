from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base


class LessonProgress(Base):
    """A learner's progress on one lesson within one enrollment (registration).

    Keyed by enrollment rather than user, so a learner who takes a course again in another run starts
    afresh. ``percent`` only grows, ``time_spent_s`` accumulates, ``completed_at`` is set once.
    """

    __tablename__ = "lesson_progress"
    __table_args__ = (
        CheckConstraint("percent between 0 and 100", name="percent"),
        CheckConstraint("time_spent_s >= 0", name="time_spent_s"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.enrollment_id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.lesson_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    time_spent_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
