from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from app_api.events import service
from app_api.events.schemas import EventBatchRead
from skillstudio.dependencies import SessionDep
from skillstudio.problems import ProblemError

router = APIRouter(prefix="/events", tags=["events"])


@router.post("", response_model=EventBatchRead, summary="Submit a batch of learner statements")
def post_events(
    request: Request,
    session: SessionDep,
    statements: Annotated[
        list[Any], Body(description="xAPI-shaped statements (see docs/events.md), at most 5,000.")
    ],
) -> EventBatchRead:
    limit: int = request.app.state.settings.max_event_batch
    if len(statements) > limit:
        raise ProblemError(413, f"A batch holds at most {limit} statements; this one has {len(statements)}.")
    return service.ingest(session=session, statements=statements, received_at=datetime.now(UTC))
