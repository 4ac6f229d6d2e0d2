"""The email outbox worker: claims due rows, sends them, and never loses one.

Rows are claimed with ``for update skip locked``, so several workers (or replicas) drain one outbox
without sending a message twice; each batch commits in its own transaction. A failed send keeps the row
``queued`` with ``attempts + 1``, the error, and a next attempt after an exponential backoff (30 s, 1 min,
2 min ... capped at 6 h); after ``MAX_ATTEMPTS`` it becomes ``failed`` but stays in the table for an admin.
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app_api.notifications.models import EmailOutbox
from skillstudio.settings import Settings, get_settings

MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    timeout: float = 10.0

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


@dataclass(frozen=True)
class FolderTransport:
    """Writes each message as an .eml file (the demo's mailbox: open them in any mail client)."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{message['X-SkillStudio-Email-Id']}.eml"
        (self.folder / name).write_bytes(bytes(message))


def transport_from(settings: Settings) -> Transport:
    if settings.email_transport == "smtp":
        return SmtpTransport(settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds)
    return FolderTransport(settings.home_dir / "outbox")


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``, after ``attempts`` failures."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def message_of(row: EmailOutbox, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain="skillstudio.local")
    message["X-SkillStudio-Email-Id"] = str(row.email_id)
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def send_pending(
    session_factory: sessionmaker[Session],
    *,
    transport: Transport,
    sender: str | None = None,
    batch: int = 50,
    now: datetime | None = None,
) -> dict[str, int]:
    """Send the due queued emails, one batch in one transaction; counts of ``sent`` and ``failed`` sends.

    ``sender`` defaults to the ``email_from`` setting. Delivery is at least once: a worker killed after a
    send but before its batch commits leaves the row queued, and it is sent again.
    """
    moment = now or datetime.now(UTC)
    sender = sender or get_settings().email_from
    sent = failed = 0
    with session_factory.begin() as session:
        rows = session.scalars(
            select(EmailOutbox)
            .where(EmailOutbox.status == "queued", EmailOutbox.next_attempt_at <= moment)
            .order_by(EmailOutbox.next_attempt_at, EmailOutbox.email_id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            try:
                transport.send(message_of(row, sender=sender))
            except (OSError, smtplib.SMTPException) as error:
                row.attempts += 1
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                row.next_attempt_at = moment + backoff(row.attempts)
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                failed += 1
            else:
                row.attempts += 1
                row.status = "sent"
                row.sent_at = datetime.now(UTC)
                row.last_error = None
                sent += 1
    return {"sent": sent, "failed": failed}


def queued_ids(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(EmailOutbox.email_id).where(EmailOutbox.status == "queued")))
