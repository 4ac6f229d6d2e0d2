from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class Rejection(BaseModel):
    index: int = Field(description="Position of the statement in the submitted batch.")
    reason: str


class EventBatchRead(BaseModel):
    accepted: int = Field(description="Statements stored now.")
    duplicate: int = Field(
        description="Valid statements that were already stored (or repeated in the batch)."
    )
    rejected: int = Field(description="Statements that failed validation; see rejections.")
    event_ids: list[uuid.UUID | None] = Field(
        description="The event id of each submitted statement, in order; null where rejected."
    )
    rejections: list[Rejection]
