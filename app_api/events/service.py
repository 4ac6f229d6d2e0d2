"""Event intake: validate each statement on its own, store the valid ones with COPY."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app_api.events.schemas import EventBatchRead, Rejection
from skillstudio.db import driver_connection
from skillstudio.event_store import write_events
from skillstudio.events import EventRow, Statement, check_not_future, statement_to_row


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'statement'}: {item['msg']}"
        for item in error.errors()
    )


def ingest(*, session: Session, statements: Sequence[Any], received_at: datetime) -> EventBatchRead:
    """Store a batch; one bad statement never costs the good ones of the same batch."""
    rows: list[EventRow] = []
    event_ids: list[uuid.UUID | None] = []
    rejections: list[Rejection] = []
    for index, raw in enumerate(statements):
        try:
            statement = Statement.model_validate(raw)
            check_not_future(statement, received_at=received_at)
        except ValidationError as error:
            rejections.append(Rejection(index=index, reason=_reason(error)))
            event_ids.append(None)
            continue
        except ValueError as error:
            rejections.append(Rejection(index=index, reason=f"timestamp: {error}"))
            event_ids.append(None)
            continue
        row = statement_to_row(statement, received_at=received_at)
        rows.append(row)
        event_ids.append(row[0])
    written = write_events(driver_connection(session), rows) if rows else []
    return EventBatchRead(
        accepted=len(written),
        duplicate=len(rows) - len(written),
        rejected=len(rejections),
        event_ids=event_ids,
        rejections=rejections,
    )
