"""HTTP for a learner's mastery per skill."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app_api.common.parameters import problems
from app_api.mastery import service as mastery
from app_api.mastery.schemas import MasteryRead
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["mastery"])


@router.get(
    "/learners/{learner_id}/mastery",
    response_model=MasteryRead,
    summary="A learner's mastery per skill (the learner, admins, instructors of their courses)",
    description="One item per skill the learner has answered (or a diagnostic measured), updated with every "
    "answer: P(correct) next, the profile's 1-10 level with its standard error, the answers behind it, and "
    "whether the learner is struggling on the skill. Instructors see learners enrolled in their courses.",
    responses=problems(401, 403, 404),
)
def learner_mastery(session: SessionDep, user: CurrentUser, learner_id: uuid.UUID) -> MasteryRead:
    return mastery.read_mastery(session, viewer=user, learner_id=learner_id)
