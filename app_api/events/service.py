"""Event intake and lookup: check a batch, store the valid statements, quarantine the others."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.events.schemas import EventBatchRead, FieldError, Rejection
from skillstudio.db import driver_connection
from skillstudio.events.contract import EVENT_COLUMNS
from skillstudio.events.intake import CheckedBatch, check_statements, read_batch
from skillstudio.events.quarantine import quarantine
from skillstudio.events.store import write_events
from skillstudio.events.xapi_export import to_xapi
from skillstudio.web.principals import Principal

_ACTOR = EVENT_COLUMNS.index("actor_id")
_EVENT_ID = EVENT_COLUMNS.index("event_id")
_EVENT_BY_ID = text(
    f"select {', '.join(EVENT_COLUMNS)} from learner_events where event_id = :event_id "
    "order by received_at, occurred_at limit 1"
)


class ForeignActorError(Exception):
    """A learner submitted statements about someone else; nothing of the batch is stored."""

    def __init__(self, indices: list[int]) -> None:
        super().__init__(
            f"A learner may only submit their own statements; the statements at {indices} have another actor."
        )
        self.indices = indices


def read_json(
    *, body: bytes, received_at: datetime, limit: int, actor: uuid.UUID | None = None
) -> CheckedBatch:
    """Check a batch sent as a JSON array (the request body, unparsed: it is parsed while validated).

    ``actor``, when given, is the only actor the caller may submit statements for (a learner's own id);
    a batch naming anyone else raises ``ForeignActorError``, so nothing of it is stored. Raises
    ``InvalidBatch`` when the body is not a JSON array and ``BatchTooLarge`` beyond ``limit``.
    """
    checked = read_batch(body, received_at=received_at, limit=limit)
    if actor is not None:
        valid = [index for index, event_id in enumerate(checked.event_ids) if event_id is not None]
        foreign = [index for index, row in zip(valid, checked.rows, strict=True) if row[_ACTOR] != actor]
        if foreign:
            raise ForeignActorError(foreign)
    return checked


def ingest(*, session: Session, statements: Sequence[Any], received_at: datetime) -> EventBatchRead:
    """Store a batch given as parsed JSON values; one bad statement never costs the good ones."""
    checked = check_statements(statements, received_at=received_at)
    return store(session=session, batches=[(checked, received_at)])[0]


def store(*, session: Session, batches: Sequence[tuple[CheckedBatch, datetime]]) -> list[EventBatchRead]:
    """Store checked batches (each with the time it was received) in the session's transaction.

    Accepted events and quarantined statements go in the same transaction: each batch is kept whole.
    Several batches (concurrent requests written together) are counted as if stored one after another:
    an event stored now is "accepted" for the first batch that holds it and "duplicate" for the others.
    """
    conn = driver_connection(session)
    rows = [row for checked, _ in batches for row in checked.rows]
    unclaimed = Counter(write_events(conn, rows) if rows else [])
    answers = []
    for checked, received_at in batches:
        accepted = 0
        for row in checked.rows:
            if unclaimed[row[_EVENT_ID]] > 0:
                unclaimed[row[_EVENT_ID]] -= 1
                accepted += 1
        quarantine_ids = quarantine(conn, checked.rejected, received_at=received_at)
        rejections = [
            Rejection(
                index=item.index,
                reason=item.reason,
                errors=[FieldError(field=field, message=message) for field, message in item.errors],
                quarantine_id=quarantine_id,
            )
            for item, quarantine_id in zip(checked.rejected, quarantine_ids, strict=True)
        ]
        answers.append(
            EventBatchRead.model_construct(
                accepted=accepted,
                duplicate=len(checked.rows) - accepted,
                rejected=len(rejections),
                event_ids=checked.event_ids,
                rejections=rejections,
            )
        )
    return answers


def get_event(*, session: Session, event_id: uuid.UUID, reader: Principal) -> dict[str, Any] | None:
    """A stored event as an xAPI 1.0.3 statement, or None when there is none the reader may see.

    Learners see their own events only; admins see all. Another learner's event answers like a missing
    one, so ids cannot be probed.
    """
    row = session.execute(_EVENT_BY_ID, {"event_id": event_id}).mappings().first()
    if row is None or not reader.can_act_for(row["actor_id"]):
        return None
    return to_xapi(dict(row))
