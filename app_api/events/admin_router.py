"""Admin routes over the quarantine. ``RequireAdmin`` alone decides who may call them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, Depends, Path, Request
from pydantic import TypeAdapter

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit
from app_api.events import quarantine_service as quarantined
from app_api.events.schemas import QuarantinePage, QuarantineRead, openapi_body
from skillstudio.events.contract import finite_json
from skillstudio.events.intake import AnyStatement
from skillstudio.web.dependencies import RequireAdmin, SessionDep
from skillstudio.web.problems import ProblemError

router = APIRouter(prefix="/admin/quarantine", tags=["admin"], dependencies=[RequireAdmin])

# The id is a bigint: anything outside it is bad input (422), not a question for the database.
QuarantineId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The quarantine entry's id.")]


async def corrected_statement(request: Request) -> Any | None:
    """The optional JSON body of a resubmission: a corrected statement, or nothing."""
    body = await request.body()
    if not body.strip():
        return None
    try:
        # Kept for audit as sent, so it must fit jsonb: a number beyond double range reads as infinity.
        return finite_json(pydantic_core.from_json(body, allow_inf_nan=False))
    except ValueError as error:
        raise ProblemError(
            422, f"The body must be a JSON statement, or empty to retry the stored one ({error})."
        ) from error


def _not_found(quarantine_id: int) -> ProblemError:
    return ProblemError(404, f"No quarantined statement has the id {quarantine_id}.")


@router.get("", response_model=QuarantinePage, summary="Quarantined statements, newest first")
def list_quarantine(
    session: SessionDep,
    status: quarantined.QuarantineStatus = "unresolved",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> QuarantinePage:
    return quarantined.list_quarantined(session=session, status=status, cursor=cursor, limit=limit)


@router.get("/{quarantine_id}", response_model=QuarantineRead, summary="One quarantined statement")
def get_quarantine(quarantine_id: QuarantineId, session: SessionDep) -> QuarantineRead:
    entry = quarantined.get_quarantined(session=session, quarantine_id=quarantine_id)
    if entry is None:
        raise _not_found(quarantine_id)
    return QuarantineRead.model_validate(entry)


@router.post(
    "/{quarantine_id}/resubmit",
    response_model=QuarantineRead,
    summary="Store a quarantined statement, corrected or as it was",
    description="With a JSON statement as the body, that corrected statement is stored; with no body, the "
    "statement as it was sent is checked again (useful after the vocabulary grew).",
    responses={409: {"description": "Already resolved."}, 422: {"description": "Still not valid."}},
    openapi_extra=openapi_body(
        TypeAdapter(AnyStatement).json_schema(),
        "The corrected statement (either form); leave the body empty to retry the statement as sent.",
        required=False,
    ),
)
def resubmit_quarantine(
    quarantine_id: QuarantineId,
    session: SessionDep,
    corrected: Annotated[Any | None, Depends(corrected_statement)],
) -> QuarantineRead:
    try:
        entry = quarantined.resubmit(
            session=session, quarantine_id=quarantine_id, corrected=corrected, received_at=datetime.now(UTC)
        )
    except quarantined.AlreadyResolved as error:
        raise ProblemError(
            409,
            f"Quarantined statement {quarantine_id} was already stored as event {error.entry.event_id} "
            f"at {error.entry.resolved_at.isoformat() if error.entry.resolved_at else '?'}.",
        ) from error
    except quarantined.StillInvalid as error:
        raise ProblemError(
            422,
            "The statement is still not valid; it stays in quarantine. Fix the fields below and resubmit.",
            errors=[{"field": field, "message": message} for field, message in error.errors],
        ) from error
    if entry is None:
        raise _not_found(quarantine_id)
    return QuarantineRead.model_validate(entry)
