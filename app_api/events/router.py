"""Event routes: batch intake and lookup under /events, the quarantine under /admin/quarantine."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app_api.events import service
from app_api.events.admin_router import router as admin_router
from app_api.events.schemas import EventBatchRead, openapi_body
from skillstudio.events import BATCH, XAPI_VERSION, BatchTooLarge, GroupWriter, InvalidBatch
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.problems import ProblemError
from skillstudio.web.security import CurrentUser


async def raw_body(request: Request) -> bytes:
    """The request body unparsed: validation parses it in the same pass (see skillstudio.events.intake)."""
    return await request.body()


async def event_writer(request: Request) -> GroupWriter:
    """The app's group writer. Async: a plain function dependency would cost every request a hop to a
    worker thread."""
    writer: GroupWriter = request.app.state.event_writer
    return writer


EventWriterDep = Annotated[GroupWriter, Depends(event_writer)]

# Bodies up to this size (a few statements) are read on the event loop; larger ones in a worker thread.
PARSE_INLINE_BYTES = 16_384

_BATCH_BODY = openapi_body(
    BATCH.json_schema(), "A JSON array of statements (xAPI 1.0.3 or the compact form; see docs/events.md)."
)
_STATEMENT_EXAMPLE = {
    "id": "3f0c7a52-0d8e-4d55-8f1e-5a0b3f6c1d20",
    "actor": {
        "objectType": "Agent",
        "account": {"homePage": "https://skillstudio.dev", "name": "6d1f0c8e-5c1b-4a43-9d0e-1f2a3b4c5d6e"},
    },
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {
        "objectType": "Activity",
        "id": "https://skillstudio.dev/xapi/activities/lesson/b0c1a2d3-0000-4000-8000-000000000001",
        "definition": {"type": "http://adlnet.gov/expapi/activities/lesson"},
    },
    "result": {"completion": True, "duration": "PT9M"},
    "context": {"registration": "a1b2c3d4-0000-4000-8000-000000000001"},
    "timestamp": "2026-11-24T18:03:00Z",
    "stored": "2026-11-24T18:03:01.250000Z",
    "version": "1.0.3",
}

events_router = APIRouter(prefix="/events", tags=["events"])


@events_router.post(
    "",
    response_model=EventBatchRead,
    summary="Submit a batch of learner statements",
    openapi_extra=_BATCH_BODY,
    responses={413: {"description": "More statements than the batch limit."}, 503: {}},
)
async def post_events(
    request: Request, user: CurrentUser, body: Annotated[bytes, Depends(raw_body)], writer: EventWriterDep
) -> EventBatchRead:
    """Learners submit their own statements; admins (importers, LRS bridges) submit anyone's."""
    limit: int = request.app.state.settings.max_event_batch
    actor = None if user.is_admin else user.user_id
    received_at = datetime.now(UTC)
    read = functools.partial(service.read_json, body=body, received_at=received_at, limit=limit, actor=actor)
    try:
        # A learner's few statements are read on the event loop; a large batch would hold it up.
        checked = read() if len(body) <= PARSE_INLINE_BYTES else await anyio.to_thread.run_sync(read)
    except service.ForeignActorError as error:
        raise ProblemError(403, str(error), indices=error.indices) from error
    except BatchTooLarge as error:
        raise ProblemError(413, str(error)) from error
    except InvalidBatch as error:
        errors = [
            {"field": field, "message": message, "type": "invalid_batch"} for field, message in error.errors
        ]
        raise ProblemError(
            422, "The body must be a JSON array of statements (at most the batch limit).", errors=errors
        ) from error
    return service.batch_read(await writer.store(checked, received_at=received_at))


@events_router.get(
    "/{event_id}",
    summary="One stored event as an xAPI 1.0.3 statement",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The event as an xAPI 1.0.3 statement (docs/events.md maps each field).",
            "content": {"application/json": {"example": _STATEMENT_EXAMPLE}},
        },
        404: {"description": "No event has this id, or it is another learner's."},
    },
)
def get_event(event_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> JSONResponse:
    statement = service.get_event(session=session, event_id=event_id, reader=user)
    if statement is None:
        raise ProblemError(404, f"No event has the id {event_id}.")
    return JSONResponse(statement, headers={"X-Experience-API-Version": XAPI_VERSION})


router = APIRouter()
router.include_router(events_router)
router.include_router(admin_router)
