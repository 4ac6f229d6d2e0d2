"""Telling a person something: in-app notifications, per-kind preferences, and email through an outbox.

``notify`` runs in the caller's transaction and never commits: the notification (and its queued email)
exist exactly when the caller's change does. Email is only queued here; ``app_api.notifications.outbox``
sends it later, so a slow or broken mail server never blocks a request.

Preferences are stored only when a user changes them; without a row a kind is shown in-app and emailed
when it is in ``kinds.DEFAULT_EMAIL``. ``in_app = false`` hides a kind from the inbox: its notifications
are not written at all (nothing to dedupe against), though an email may still be queued.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.notifications.kinds import DEFAULT_EMAIL, NotificationKind
from app_api.notifications.models import EmailOutbox, Notification, NotificationPreference
from app_api.users import service as users
from skillstudio.settings import get_settings


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("app_api.notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )


def preferences(session: Session, user_id: uuid.UUID) -> dict[NotificationKind, tuple[bool, bool]]:
    """``kind -> (in_app, email)`` for every kind, stored choices over defaults."""
    stored = {
        row.kind: (row.in_app, row.email)
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return {kind: stored.get(kind.value, (True, kind in DEFAULT_EMAIL)) for kind in NotificationKind}


def set_preferences(
    session: Session, user_id: uuid.UUID, wanted: dict[NotificationKind, tuple[bool, bool]]
) -> list[NotificationKind]:
    """Store the choices of ``wanted`` that differ from the current ones; the kinds that changed, sorted."""
    current = preferences(session, user_id)
    changed = {kind: choice for kind, choice in wanted.items() if current[kind] != choice}
    for kind, (in_app, email) in changed.items():
        statement = insert(NotificationPreference).values(
            user_id=user_id, kind=kind.value, in_app=in_app, email=email
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "kind"], set_={"in_app": in_app, "email": email}
            )
        )
    return sorted(changed, key=lambda kind: kind.value)


def render_email(*, title: str, body: str, link: str | None) -> tuple[str, str]:
    """The plain-text and HTML bodies of a notification's email."""
    context = {"title": title, "body": body, "link": link, "base_url": get_settings().public_url}
    env = _templates()
    return (
        env.get_template("notification.txt").render(context),
        env.get_template("notification.html").render(context),
    )


def notify(
    session: Session,
    *,
    user_id: uuid.UUID,
    kind: NotificationKind | str,
    title: str,
    body: str,
    link: str | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> uuid.UUID | None:
    """Write a notification for ``user_id`` (and queue its email when their preference allows it).

    Returns the notification's id, or None when the same user, kind and ``dedupe_key`` was already
    notified (then nothing is written or emailed) or the user turned the kind off everywhere. Never
    commits. An unknown ``kind`` raises ``ValueError``: kinds are declared in ``kinds.py``.
    """
    kind = NotificationKind(kind)
    in_app, email = preferences(session, user_id)[kind]
    notification_id: uuid.UUID | None = None
    if in_app:
        statement = (
            insert(Notification)
            .values(
                notification_id=uuid.uuid4(),
                user_id=user_id,
                kind=kind.value,
                title=title,
                body=body,
                link=link,
                data=data,
                dedupe_key=dedupe_key,
                created_at=datetime.now(UTC),
            )  # fmt: skip
            .on_conflict_do_nothing(
                index_elements=["user_id", "kind", "dedupe_key"],
                index_where=Notification.dedupe_key.is_not(None),
            )
            .returning(Notification.notification_id)
        )
        notification_id = session.scalar(statement)
        if notification_id is None:
            return None  # deduplicated: the first one was already told (and emailed)
    elif dedupe_key is not None:
        return None  # without an inbox row there is nothing to dedupe an email against: send none
    if email:
        address = users.get_user(session=session, user_id=user_id).email
        if address:
            text, html = render_email(title=title, body=body, link=link)
            session.add(
                EmailOutbox(
                    email_id=uuid.uuid4(),
                    notification_id=notification_id,
                    to_address=address,
                    subject=title,
                    body_text=text,
                    body_html=html,
                    status="queued",
                    attempts=0,
                )  # fmt: skip
            )
            session.flush()
    return notification_id


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session, user_id: uuid.UUID, notification_id: uuid.UUID
) -> tuple[Notification, bool] | None:
    """The notification marked read (its first read time kept) and whether this call marked it; None when
    it is not the user's."""
    notification = session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.user_id != user_id:
        return None
    if notification.read_at is not None:
        return notification, False
    notification.read_at = datetime.now(UTC)
    session.flush()
    return notification, True


def mark_all_read(session: Session, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the user read; how many were."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_notifications(
    session: Session, user_id: uuid.UUID, *, unread_only: bool, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """The user's notifications, newest first, one keyset page."""
    statement = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    tag = "notifications:unread" if unread_only else "notifications"
    after = parse_cursor(cursor, tag=tag, kinds=(datetime, uuid.UUID))
    columns = (Notification.created_at, Notification.notification_id)
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    return page_of(rows, limit=limit, tag=tag, key_of=lambda row: [row.created_at, row.notification_id])
