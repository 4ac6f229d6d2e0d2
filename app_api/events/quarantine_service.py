"""The quarantine for admins: list and read quarantined statements, resubmit them after a fix."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.events.models import EventQuarantine
from app_api.events.schemas import QuarantinePage, QuarantineRead
from skillstudio.db import driver_connection
from skillstudio.events.intake import FieldErrors, check_statements
from skillstudio.events.quarantine import unwrap
from skillstudio.events.store import write_events

QuarantineStatus = Literal["unresolved", "resolved", "all"]


class AlreadyResolved(Exception):
    def __init__(self, entry: EventQuarantine) -> None:
        super().__init__(f"quarantined statement {entry.quarantine_id} is already resolved")
        self.entry = entry


class StillInvalid(Exception):
    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


def list_quarantined(
    *, session: Session, status: QuarantineStatus, cursor: str | None, limit: int
) -> QuarantinePage:
    """Newest first (by quarantine id, which follows arrival), one page after ``cursor``."""
    query = select(EventQuarantine)
    if status == "unresolved":
        query = query.where(EventQuarantine.resolved_at.is_(None))
    elif status == "resolved":
        query = query.where(EventQuarantine.resolved_at.is_not(None))
    after = parse_cursor(cursor, tag="quarantine", kinds=(int,))
    columns = (EventQuarantine.quarantine_id,)
    rows = session.scalars(keyset(query, columns=columns, after=after, limit=limit, descending=True)).all()
    entries, next_cursor = page_of(
        rows, limit=limit, tag="quarantine", key_of=lambda entry: [entry.quarantine_id]
    )
    return QuarantinePage(
        items=[QuarantineRead.model_validate(entry) for entry in entries], next_cursor=next_cursor
    )


def get_quarantined(*, session: Session, quarantine_id: int) -> EventQuarantine | None:
    return session.get(EventQuarantine, quarantine_id)


def resubmit(
    *, session: Session, quarantine_id: int, corrected: Any | None, received_at: datetime
) -> EventQuarantine | None:
    """Store a quarantined statement: the corrected one when given, else the payload as it was sent.

    On success the entry is marked resolved with the stored event's id and kept for audit. None when there
    is no such entry; ``AlreadyResolved`` / ``StillInvalid`` otherwise, leaving the entry untouched.
    """
    entry = session.get(EventQuarantine, quarantine_id, with_for_update=True)
    if entry is None:
        return None
    if entry.resolved_at is not None:
        raise AlreadyResolved(entry)
    statement = unwrap(entry.payload, entry.payload_wrapped) if corrected is None else corrected
    checked = check_statements([statement], received_at=received_at)
    if checked.rejected:
        raise StillInvalid(checked.rejected[0].errors)
    # Already stored (say, sent again after it was quarantined) counts as stored: the row is a no-op.
    write_events(driver_connection(session), checked.rows)
    entry.resolved_at = received_at
    entry.event_id = checked.event_ids[0]
    entry.corrected_payload = corrected
    session.flush()
    return entry
