"""Learner events as the learning API writes them, for the award path's tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app_api.gamification.models import LearnerStats
from skillstudio.events.recording import record_event


def act(
    session: Session,
    learner: uuid.UUID,
    verb: str,
    object_type: str,
    at: datetime,
    *,
    object_id: uuid.UUID | None = None,
    **fields: Any,
) -> uuid.UUID:
    """Record one event of ``learner`` (the listener reacts as it would to the route's)."""
    return record_event(
        session, actor_id=learner, verb=verb, object_type=object_type,
        object_id=object_id or uuid.uuid4(), occurred_at=at, **fields,
    )  # fmt: skip


def stats(session: Session, learner: uuid.UUID) -> LearnerStats:
    session.expire_all()
    found = session.scalars(select(LearnerStats).where(LearnerStats.user_id == learner)).one()
    return found


def ledger(session: Session, learner: uuid.UUID) -> list[tuple[str, int]]:
    rows = session.execute(
        text("select rule, xp from xp_transactions where user_id = :u order by occurred_at, rule"),
        {"u": learner},
    )
    return [(rule, xp) for rule, xp in rows]


def events_of(session: Session, learner: uuid.UUID, verb: str) -> list[tuple[str, str]]:
    rows = session.execute(
        text(
            "select object_type, object_id from learner_events where actor_id = :u and verb = :v "
            "order by occurred_at, object_id"
        ),
        {"u": learner, "v": verb},
    )
    return [(object_type, object_id) for object_type, object_id in rows]


def notifications_of(session: Session, learner: uuid.UUID) -> list[tuple[str, str]]:
    rows = session.execute(
        text("select kind, title from notifications where user_id = :u order by created_at, title"),
        {"u": learner},
    )
    return [(kind, title) for kind, title in rows]


def badges_of(session: Session, learner: uuid.UUID) -> list[str]:
    return list(
        session.scalars(
            text(
                "select a.slug from user_achievements u join achievements a using (achievement_id) "
                "where u.user_id = :u order by a.slug"
            ),
            {"u": learner},
        )
    )
