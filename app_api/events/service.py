"""Event intake and lookup: check a batch, store the valid statements, quarantine the others."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.events.schemas import EventBatchRead, FieldError, Rejection
from skillstudio.db import driver_connection
from skillstudio.events import (
    EVENT_COLUMNS,
    CheckedBatch,
    StoredBatch,
    check_statements,
    read_batch,
    store_batches,
    to_xapi,
)
from skillstudio.web.principals import Principal

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
        foreign = [index for index, row in zip(valid, checked.rows, strict=True) if row.actor_id != actor]
        if foreign:
            raise ForeignActorError(foreign)
    return checked


def ingest(*, session: Session, statements: Sequence[Any], received_at: datetime) -> EventBatchRead:
    """Store a batch given as parsed JSON values; one bad statement never costs the good ones."""
    checked = check_statements(statements, received_at=received_at)
    return batch_read(store_batches(driver_connection(session), [(checked, received_at)])[0])


def batch_read(stored: StoredBatch) -> EventBatchRead:
    """The answer to a stored batch."""
    return EventBatchRead.model_construct(
        accepted=stored.accepted,
        duplicate=stored.duplicate,
        rejected=stored.rejected,
        event_ids=stored.event_ids,
        rejections=[
            Rejection(
                index=item.index,
                reason=item.reason,
                errors=[FieldError(field=field, message=message) for field, message in item.errors],
                quarantine_id=item.quarantine_id,
            )
            for item in stored.rejections
        ],
    )


def get_event(*, session: Session, event_id: uuid.UUID, reader: Principal) -> dict[str, Any] | None:
    """A stored event as an xAPI 1.0.3 statement, or None when there is none the reader may see.

    Learners see their own events only; admins see all. Another learner's event answers like a missing
    one, so ids cannot be probed.
    """
    row = session.execute(_EVENT_BY_ID, {"event_id": event_id}).mappings().first()
    if row is None or not reader.can_act_for(row["actor_id"]):
        return None
    return to_xapi(dict(row))
