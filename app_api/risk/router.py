"""HTTP for completion risk: an enrollment's risk with reasons and actions, a course's at-risk learners."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit, problems
from app_api.risk import service as risk
from app_api.risk.schemas import AtRiskPage, EnrollmentRiskRead
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["completion risk"])


@router.get(
    "/enrollments/{enrollment_id}/risk",
    response_model=EnrollmentRiskRead,
    summary="An enrollment's completion risk, its reasons and suggested actions",
    description="For the learner, the course's instructor and admins. From the daily scoring of open "
    "enrollments: the calibrated probability of completing, the risk band (high: risk >= 0.6, medium: >= "
    "0.35), the reasons the model lowered the chance most, and what would help. 404 while the enrollment "
    "has no score (not open, or not yet at the first grid day of its run).",
    responses=problems(401, 403, 404),
)
def enrollment_risk(session: SessionDep, user: CurrentUser, enrollment_id: uuid.UUID) -> EnrollmentRiskRead:
    return risk.enrollment_risk(session=session, viewer=user, enrollment_id=enrollment_id)


@router.get(
    "/courses/{course_id}/at-risk",
    response_model=AtRiskPage,
    summary="A course's learners at risk of not completing, riskiest first",
    description="For the course's instructor and admins: scored open enrollments whose risk is at least "
    "`min_risk` (by default the high band), with their reasons, in keyset pages.",
    responses=problems(401, 403, 404)
    | {400: {"description": "A cursor of another list.", "content": {"application/problem+json": {}}}},
)
def at_risk(
    session: SessionDep,
    user: CurrentUser,
    course_id: uuid.UUID,
    min_risk: Annotated[
        float, Query(ge=0.0, le=1.0, description="Lowest risk (1 - P(completes)) listed, 0-1.")
    ] = risk.HIGH_RISK,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> Response:
    # PostgreSQL builds the page's JSON (risk.at_risk_json): one statement, no model to validate or encode
    # per learner. The OpenAPI still documents AtRiskPage (``response_model`` above).
    return Response(
        content=risk.at_risk_json(
            session=session, viewer=user, course_id=course_id, min_risk=min_risk, cursor=cursor, limit=limit
        ),
        media_type="application/json",
    )
