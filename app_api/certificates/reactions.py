"""The certificates domain's reaction to events: a completed course issues its certificate."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app_api.certificates import service
from skillstudio.events.contract import EventRow


def issue_on_course_completion(session: Session, row: EventRow) -> None:
    """Installed by ``app_api.reactions``: runs in the completing transaction, once per stored event."""
    if row.verb == "completed" and row.object_type == "course" and row.registration is not None:
        service.issue(session, enrollment_id=row.registration, issued_at=row.occurred_at)
