"""Retention: old login attempts and dead token families go; anything a live session needs stays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.auth import service, tokens
from app_api.auth.models import LoginAttempt
from skillstudio.settings import Settings
from tests.factories import make_user


def test_prune_keeps_live_families_whole(session: Session, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, login_attempt_retention_days=30)
    now = datetime.now(UTC)
    user = make_user(session)
    old, live = uuid.uuid4(), uuid.uuid4()
    day = timedelta(days=1)
    tokens.issue(session=session, user_id=user.user_id, family_id=old, now=now - 90 * day, lifetime=30 * day)
    # A token rotated long ago in a family that is still alive must stay, to recognise its reuse.
    tokens.issue(session=session, user_id=user.user_id, family_id=live, now=now - 90 * day, lifetime=30 * day)
    tokens.issue(session=session, user_id=user.user_id, family_id=live, now=now - day, lifetime=30 * day)
    session.add_all(
        [
            LoginAttempt(attempted_at=now - at, email="x@example.org", client_ip="192.0.2.1", succeeded=False)
            for at in (31 * day, 29 * day)
        ]
    )
    session.flush()

    counts = service.prune(session=session, settings=settings, now=now)
    assert counts["refresh_tokens"] == 1 and counts["login_attempts"] >= 1
    families = session.execute(
        text("select family_id, count(*) from refresh_tokens where user_id = :u group by family_id"),
        {"u": user.user_id},
    ).all()
    assert families == [(live, 2)]
    left = session.execute(text("select count(*) from login_attempts where email = 'x@example.org'"))
    assert left.scalar_one() == 1
