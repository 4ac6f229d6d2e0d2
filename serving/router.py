"""Recommendation endpoints: the champion model's answer, minus what the learner already takes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from serving.model_store import ModelStore, NoChampionError
from serving.schemas import RecommendationPage, RecommendedCourse
from skillstudio.errors import Forbidden, Unavailable
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.principals import Principal
from skillstudio.web.problems import PROBLEM_JSON
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["recommendations"])


def _enrolled_course_ids(session: Session, learner_id: uuid.UUID) -> set[str]:
    rows = session.execute(
        text("select course_id from enrollments where user_id = :learner_id"), {"learner_id": learner_id}
    )
    return {str(course_id) for (course_id,) in rows}


def _published_titles(session: Session) -> dict[str, str]:
    rows = session.execute(text("select course_id, title from courses where status = 'published'"))
    return {str(course_id): str(title) for course_id, title in rows}


def _learner_or_admin(
    user: CurrentUser, learner_id: Annotated[uuid.UUID, Path(description="The learner's user id.")]
) -> Principal:
    # Checked before anything is looked up, so the answer never tells a stranger whether the learner exists.
    if not user.can_act_for(learner_id):
        raise Forbidden("Recommendations are for the learner themselves, or an admin.")
    return user


@router.get(
    "/learners/{learner_id}/recommendations",
    response_model=RecommendationPage,
    summary="Courses this learner is likely to take up next",
    description="For the learner themselves, or an admin. A learner with no history yet gets the most "
    'popular courses, flagged `"fallback": true`.',
    responses={
        401: {"description": "No valid access token.", "content": {PROBLEM_JSON: {}}},
        403: {"description": "Another learner's recommendations.", "content": {PROBLEM_JSON: {}}},
        503: {"description": "No champion model yet.", "content": {PROBLEM_JSON: {}}},
    },
    dependencies=[Depends(_learner_or_admin)],
)
def recommendations(
    learner_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    k: Annotated[int, Query(ge=1, le=100, description="How many courses to return.")] = 10,
) -> RecommendationPage:
    store: ModelStore = request.app.state.model_store
    try:
        model = store.get()
    except NoChampionError as error:
        raise Unavailable(f"{error}; run the pipeline (skillstudio materialize) first.") from error
    titles = _published_titles(session)
    # Only published courses are offered; unpublished ones are excluded like enrolled ones.
    unavailable = _enrolled_course_ids(session, learner_id) | (
        set(model.recommender.course_ids) - set(titles)
    )
    ranked, fallback = model.recommender.recommend(str(learner_id), exclude=unavailable, k=k)
    return RecommendationPage(
        learner_id=learner_id,
        model_name=store.registry_name,
        model_version=model.version,
        fallback=fallback,
        items=[
            RecommendedCourse(course_id=uuid.UUID(course_id), title=titles[course_id], score=score, rank=rank)
            for rank, (course_id, score) in enumerate(ranked, start=1)
        ],
    )
