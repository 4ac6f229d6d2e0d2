"""notify(): written in the caller's transaction, deduplicated, and honouring per-kind preferences."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app_api.notifications import service as notifications
from app_api.notifications.kinds import NotificationKind
from app_api.notifications.models import EmailOutbox, Notification
from tests.factories import make_user


def outbox(session: Session) -> list[EmailOutbox]:
    return list(session.scalars(select(EmailOutbox).order_by(EmailOutbox.created_at)))


def test_notify_writes_a_notification_and_queues_email_when_the_kind_emails(session: Session) -> None:
    user = make_user(session)
    before = len(outbox(session))
    notification_id = notifications.notify(
        session, user_id=user.user_id, kind="certificate_issued", title="Your certificate",
        body="You completed <SQL>.", link="/api/v1/certificates/1", data={"course": "sql"},
    )  # fmt: skip
    assert notification_id is not None
    row = session.get(Notification, notification_id)
    assert row is not None and row.user_id == user.user_id and row.read_at is None
    assert (row.kind, row.title, row.data) == ("certificate_issued", "Your certificate", {"course": "sql"})
    emails = [e for e in outbox(session) if e.notification_id == notification_id]
    assert len(outbox(session)) == before + 1 and len(emails) == 1
    email = emails[0]
    assert (email.to_address, email.subject, email.status, email.attempts) == (
        user.email, "Your certificate", "queued", 0,
    )  # fmt: skip
    assert "You completed <SQL>." in email.body_text and "/api/v1/certificates/1" in email.body_text
    assert email.body_html is not None and "&lt;SQL&gt;" in email.body_html  # escaped in HTML


def test_a_kind_without_default_email_is_in_app_only(session: Session) -> None:
    user = make_user(session)
    notification_id = notifications.notify(
        session, user_id=user.user_id, kind=NotificationKind.LEVEL_UP, title="Level 4", body="SQL: level 4"
    )
    assert notification_id is not None
    assert not [e for e in outbox(session) if e.notification_id == notification_id]


def test_same_dedupe_key_notifies_once(session: Session) -> None:
    user, other = make_user(session), make_user(session)
    args = {"kind": "struggling_skill", "title": "Revise SQL", "body": "…", "dedupe_key": "skill:sql"}
    first = notifications.notify(session, user_id=user.user_id, **args)
    assert first is not None
    assert notifications.notify(session, user_id=user.user_id, **args) is None
    # Another user, another kind, or no key are not duplicates.
    assert notifications.notify(session, user_id=other.user_id, **args) is not None
    assert notifications.notify(session, user_id=user.user_id, **(args | {"kind": "level_up"})) is not None
    keyless = args | {"dedupe_key": None}
    assert notifications.notify(session, user_id=user.user_id, **keyless) is not None
    assert notifications.notify(session, user_id=user.user_id, **keyless) is not None
    count = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.user_id)
    )
    assert count == 4


def test_preferences_turn_email_on_and_in_app_off(session: Session) -> None:
    user = make_user(session)
    notifications.set_preferences(
        session, user.user_id,
        {NotificationKind.LEVEL_UP: (True, True), NotificationKind.COMPLETION_RISK: (False, False)},
    )  # fmt: skip
    prefs = notifications.preferences(session, user.user_id)
    assert prefs[NotificationKind.LEVEL_UP] == (True, True)
    assert prefs[NotificationKind.COMPLETION_RISK] == (False, False)
    assert prefs[NotificationKind.CERTIFICATE_ISSUED] == (True, True)  # default kept
    level = notifications.notify(session, user_id=user.user_id, kind="level_up", title="L5", body="b")
    assert [e.to_address for e in outbox(session) if e.notification_id == level] == [user.email]
    before = len(outbox(session))
    assert (
        notifications.notify(session, user_id=user.user_id, kind="completion_risk", title="t", body="b")
        is None
    )
    assert len(outbox(session)) == before


def test_unknown_kind_is_refused(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(ValueError):
        notifications.notify(session, user_id=user.user_id, kind="spam", title="t", body="b")
