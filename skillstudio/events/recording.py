"""Writing the learner event of a state change in the same transaction as the change.

Every mutating route of the learning API calls ``record_event`` with the session that carries its change,
so the change and its event commit or roll back together: no change without its event, no event without
its change. The event goes through the store's insert like any other (``write_events``).

Reactions to events (XP for a completed lesson, a certificate for a completed course) are *listeners*:
each is called with the session and the stored row, in the same transaction, only when the event was
newly stored. A retried or replayed change maps to the same event id, which the store skips, so a
listener runs exactly once per event without keeping its own ledger of what it has seen. The learning
API installs its listeners (``app_api.reactions``); this module only keeps the list, because it must not
know the domains that react.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from skillstudio.db import driver_connection
from skillstudio.events.contract import VERBS, EventRow, event_row
from skillstudio.events.store import write_events

EventListener = Callable[[Session, EventRow], None]

# Keyed by the listener's qualified name, so installing twice (every app the tests create) keeps one.
_listeners: dict[str, EventListener] = {}


def listen(listener: EventListener) -> None:
    """Call ``listener(session, row)`` after every newly stored event from now on (idempotent)."""
    _listeners[f"{listener.__module__}.{listener.__qualname__}"] = listener


def unlisten(listener: EventListener) -> None:
    """Stop calling ``listener`` (benchmarks measure a route without a reaction; a no-op when absent)."""
    _listeners.pop(f"{listener.__module__}.{listener.__qualname__}", None)


def listeners() -> tuple[EventListener, ...]:
    """The installed listeners, in the order they were first installed."""
    return tuple(_listeners.values())


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
    stored = write_events(driver_connection(session), [row])
    if stored:
        for listener in tuple(_listeners.values()):
            listener(session, row)
    return row.event_id
