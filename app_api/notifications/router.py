"""The caller's own notifications and notification preferences (``/me/...``). HTTP and events only.

Reading a notification is a change the learner makes, so it writes an ``updated`` event like every other
change; marking an already read one changes nothing and writes none.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit
from app_api.notifications import service
from app_api.notifications.schemas import (
    KindPreference,
    NotificationPage,
    NotificationRead,
    PreferencesRead,
    PreferencesUpdate,
    ReadAllResult,
)
from skillstudio.errors import NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(prefix="/me", tags=["notifications"])

_PROBLEM: dict[str, Any] = {"application/problem+json": {}}
_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token.", "content": _PROBLEM}
}
_NOT_YOURS: dict[int | str, dict[str, Any]] = _UNAUTHORIZED | {
    404: {"description": "No such notification among yours.", "content": _PROBLEM}
}


@router.get(
    "/notifications",
    response_model=NotificationPage,
    summary="Your notifications, newest first, with your unread count",
    responses=_UNAUTHORIZED | {400: {"description": "A cursor of another list.", "content": _PROBLEM}},
)
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    unread_only: Annotated[bool, Query(description="Only the ones you have not read.")] = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> NotificationPage:
    rows, next_cursor = service.list_notifications(
        session, user.user_id, unread_only=unread_only, cursor=cursor, limit=limit
    )
    return NotificationPage(
        items=[NotificationRead.model_validate(row) for row in rows],
        next_cursor=next_cursor,
        unread_count=service.unread_count(session, user.user_id),
    )


@router.post(
    "/notifications/read-all",
    response_model=ReadAllResult,
    summary="Mark all your notifications read",
    responses=_UNAUTHORIZED,
)
def read_all(session: SessionDep, user: CurrentUser) -> ReadAllResult:
    marked = service.mark_all_read(session, user.user_id)
    if marked:
        record_event(
            session, actor_id=user.user_id, verb="updated", object_type="notifications",
            object_id=user.user_id, extensions={"fields": ["read_at"], "marked": marked},
        )  # fmt: skip
    return ReadAllResult(marked=marked)


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationRead,
    summary="Mark one of your notifications read",
    responses=_NOT_YOURS,
)
def read_one(notification_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> NotificationRead:
    marked = service.mark_read(session, user.user_id, notification_id)
    if marked is None:
        # Someone else's is "not found" too: ids of others' notifications are not confirmed.
        raise NotFound(f"Notification {notification_id} does not exist among yours.")
    notification, newly_read = marked
    if newly_read:
        record_event(
            session, actor_id=user.user_id, verb="updated", object_type="notification",
            object_id=notification_id, extensions={"fields": ["read_at"]},
        )  # fmt: skip
    return NotificationRead.model_validate(notification)


def _preferences_read(choices: dict[Any, tuple[bool, bool]]) -> PreferencesRead:
    return PreferencesRead(
        preferences=[
            KindPreference(kind=kind, in_app=in_app, email=email) for kind, (in_app, email) in choices.items()
        ]
    )


@router.get(
    "/notification-preferences",
    response_model=PreferencesRead,
    summary="Which kinds of notification you get in-app and by email",
    responses=_UNAUTHORIZED,
)
def read_preferences(session: SessionDep, user: CurrentUser) -> PreferencesRead:
    return _preferences_read(service.preferences(session, user.user_id))


@router.put(
    "/notification-preferences",
    response_model=PreferencesRead,
    summary="Change your notification preferences for the kinds given",
    responses=_UNAUTHORIZED | {422: {"description": "Unknown kind or invalid input.", "content": _PROBLEM}},
)
def update_preferences(data: PreferencesUpdate, session: SessionDep, user: CurrentUser) -> PreferencesRead:
    wanted = {item.kind: (item.in_app, item.email) for item in data.preferences}
    changed = service.set_preferences(session, user.user_id, wanted)
    if changed:
        record_event(
            session, actor_id=user.user_id, verb="updated", object_type="notification_preferences",
            object_id=user.user_id, extensions={"kinds": [kind.value for kind in changed]},
        )  # fmt: skip
    return _preferences_read(service.preferences(session, user.user_id))
