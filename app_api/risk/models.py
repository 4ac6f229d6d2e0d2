from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base


class CompletionRiskScore(Base):
    """The daily scoring's latest answer for one open enrollment (written by the pipeline, migration 0013)."""

    __tablename__ = "completion_risk_scores"
    __table_args__ = (
        CheckConstraint("band in ('low', 'medium', 'high')", name="band"),
        CheckConstraint("probability between 0 and 1", name="probability"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.enrollment_id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.course_id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(Text)
    day_k: Mapped[int] = mapped_column(Integer)
    # P(the enrollment completes); risk is 1 - probability.
    probability: Mapped[float] = mapped_column(Float)
    risk: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    high_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
