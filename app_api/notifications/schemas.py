"""Request and response bodies of the notification routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app_api.common.pagination import Page
from app_api.notifications.kinds import NotificationKind


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notification_id: uuid.UUID
    kind: NotificationKind
    title: str
    body: str
    link: str | None
    data: dict[str, Any] | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Page[NotificationRead]):
    unread_count: int = Field(description="The caller's unread notifications, whatever the filter.")


class KindPreference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: NotificationKind
    in_app: StrictBool = Field(description="Show this kind in the inbox.")
    email: StrictBool = Field(description="Also email it.")


class PreferencesRead(BaseModel):
    preferences: list[KindPreference] = Field(description="Every kind, stored choices over defaults.")


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preferences: list[KindPreference] = Field(
        max_length=len(NotificationKind), description="The kinds to change; others keep their setting."
    )


class ReadAllResult(BaseModel):
    marked: int = Field(description="How many notifications were unread and are now read.")
