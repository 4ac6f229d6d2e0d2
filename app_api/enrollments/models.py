from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        # Migration 0002 declares it NULLS NOT DISTINCT: one enrollment per learner, course and run.
        UniqueConstraint(
            "user_id", "course_id", "course_run_id", name="uq_enrollments_user_id_course_id_course_run_id"
        ),
        CheckConstraint("status in ('active', 'completed', 'dropped')", name="status"),
        CheckConstraint(
            "outcome is null or outcome in ('pass', 'distinction', 'fail', 'withdrawn')", name="outcome"
        ),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.course_id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    course_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("course_runs.course_run_id", ondelete="CASCADE")
    )
    outcome: Mapped[str | None] = mapped_column(Text)
    unregistered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
