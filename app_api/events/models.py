from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Identity, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base


class EventQuarantine(Base):
    """A statement that failed validation, as sent, with its reasons (migration 0003 describes it)."""

    __tablename__ = "event_quarantine"
    __table_args__ = (
        CheckConstraint("(resolved_at is null) = (event_id is null)", name="resolved_with_event"),
        CheckConstraint("batch_index >= 0", name="batch_index"),
    )

    quarantine_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    batch_index: Mapped[int] = mapped_column(Integer)
    payload: Mapped[Any] = mapped_column(JSONB)
    payload_wrapped: Mapped[bool] = mapped_column(Boolean, server_default="false")
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSONB)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    event_id: Mapped[uuid.UUID | None]
    corrected_payload: Mapped[Any | None] = mapped_column(JSONB)
