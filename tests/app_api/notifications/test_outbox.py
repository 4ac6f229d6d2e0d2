"""The outbox worker: sends through real SMTP (aiosmtpd), keeps failed rows queued with backoff, and the
folder transport writes readable .eml files. It commits, so it runs on a database of this module's own."""

from __future__ import annotations

import email
import json
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from app_api.notifications import outbox
from app_api.notifications import service as notifications
from app_api.notifications.models import EmailOutbox
from skillstudio.settings import Settings
from tests.factories import make_user

SENDER = "SkillStudio <noreply@skillstudio.test>"


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[EmailMessage] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.received.append(message)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def factory(database_factory: Callable[[], str]) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(database_factory())
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe closes


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def queue_one(factory: sessionmaker[Session], title: str) -> uuid.UUID:
    with factory.begin() as session:
        user = make_user(session)
        notification_id = notifications.notify(
            session, user_id=user.user_id, kind="certificate_issued", title=title, body="Well done."
        )
        return session.scalars(
            select(EmailOutbox.email_id).where(EmailOutbox.notification_id == notification_id)
        ).one()


def row(factory: sessionmaker[Session], email_id: uuid.UUID) -> EmailOutbox:
    with factory() as session:
        found = session.get(EmailOutbox, email_id)
        assert found is not None
        return found


def test_sends_queued_email_over_smtp(factory: sessionmaker[Session], smtp: tuple[Controller, Inbox]) -> None:
    controller, inbox = smtp
    email_id = queue_one(factory, "Certificate over SMTP")
    transport = outbox.SmtpTransport("127.0.0.1", controller.port)
    counts = outbox.send_pending(factory, transport=transport, sender=SENDER)
    assert counts["sent"] >= 1 and counts["failed"] == 0
    sent = row(factory, email_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None) and sent.sent_at is not None
    mine = [m for m in inbox.received if m["X-SkillStudio-Email-Id"] == str(email_id)]
    assert len(mine) == 1 and mine[0]["Subject"] == "Certificate over SMTP"
    # Sent once: a second run finds nothing of it to send.
    outbox.send_pending(factory, transport=transport, sender=SENDER)
    assert len([m for m in inbox.received if m["X-SkillStudio-Email-Id"] == str(email_id)]) == 1


def test_a_failed_send_stays_queued_with_backoff(factory: sessionmaker[Session]) -> None:
    email_id = queue_one(factory, "Certificate, server down")
    start = datetime.now(UTC)
    transport = outbox.SmtpTransport("127.0.0.1", free_port(), timeout=2)
    counts = outbox.send_pending(factory, transport=transport, sender=SENDER, now=start)
    assert counts["failed"] >= 1
    failed = row(factory, email_id)
    assert (failed.status, failed.attempts, failed.sent_at) == ("queued", 1, None)
    assert failed.last_error and "ConnectionRefused" in failed.last_error
    assert failed.next_attempt_at == start + outbox.BACKOFF_BASE
    # Not due yet: the next run leaves it alone; once due it is tried again, and the wait doubles.
    outbox.send_pending(factory, transport=transport, sender=SENDER, now=start + timedelta(seconds=5))
    assert row(factory, email_id).attempts == 1
    later = start + timedelta(minutes=1)
    outbox.send_pending(factory, transport=transport, sender=SENDER, now=later)
    again = row(factory, email_id)
    assert (again.status, again.attempts) == ("queued", 2)
    assert again.next_attempt_at == later + 2 * outbox.BACKOFF_BASE


def test_folder_transport_writes_a_readable_eml(factory: sessionmaker[Session], tmp_path: Path) -> None:
    email_id = queue_one(factory, "Certificate in a folder")
    transport = outbox.transport_from(Settings(home=tmp_path))
    assert isinstance(transport, outbox.FolderTransport)
    outbox.send_pending(factory, transport=transport, sender=SENDER)
    files = [p for p in (tmp_path / "outbox").glob("*.eml") if str(email_id) in p.name]
    assert len(files) == 1
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Certificate in a folder" and parsed["From"] == SENDER
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None and "Well done." in text.get_content()
    assert html is not None and "<h1>Certificate in a folder</h1>" in html.get_content()
    assert row(factory, email_id).status == "sent"


def test_backoff_doubles_and_is_capped() -> None:
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert outbox.backoff(40) == outbox.BACKOFF_CAP


def test_cli_send_drains_the_outbox_to_the_folder(
    factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from skillstudio.main.cli import app
    from skillstudio.settings import get_settings

    email_id = queue_one(factory, "Certificate via the CLI")
    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", url)
    monkeypatch.setenv("SKILLSTUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("SKILLSTUDIO_EMAIL_TRANSPORT", "folder")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["notifications", "send"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["sent"] >= 1
    assert row(factory, email_id).status == "sent"
    assert [p for p in (tmp_path / "outbox").glob("*.eml") if str(email_id) in p.name]
