"""Writing the learner event of a state change in the same transaction as the change.

Every mutating route of the learning API calls ``record_event`` with the session that carries its change,
so the change and its event commit or roll back together: no change without its event, no event without
its change. The event goes through the store's insert like any other (``write_events``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from skillstudio.db import driver_connection
from skillstudio.events.contract import VERBS, event_row
from skillstudio.events.store import write_events


def record_event(
    session: Session,
    *,
    actor_id: uuid.UUID,
    verb: str,
    object_type: str,
    object_id: uuid.UUID | str,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> uuid.UUID:
    """Add one event to the session's transaction and return its id.

    ``fields`` are the optional ``event_row`` keywords (course_id, registration, score_scaled, ...).
    """
    if verb not in VERBS:
        raise ValueError(f"unknown verb {verb!r}")
    now = datetime.now(UTC)
    row = event_row(
        occurred_at=occurred_at or now,
        received_at=now,
        actor_id=actor_id,
        verb=verb,
        object_type=object_type,
        object_id=str(object_id),
        **fields,
    )
    write_events(driver_connection(session), [row])
    return row.event_id
