"""Recommendation endpoints: the champion model's answer, minus what the learner already takes.

The route is async and answers from memory (serving/answers.py): the token is checked, the learner's page
is ranked from the loaded model and the catalogue snapshot (or taken from the page cache), and sent as
encoded JSON, with neither a database round trip nor a worker thread. Only a due check of the champion
alias or a process's first snapshot runs in a worker thread.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from serving.answers import RecommendationCache
from serving.model_store import LoadedModel, ModelStore, NoChampionError
from serving.schemas import RecommendationPage
from skillstudio.errors import Forbidden, Unavailable
from skillstudio.web.principals import Principal
from skillstudio.web.problems import PROBLEM_JSON
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["recommendations"])


async def _learner_or_admin(
    user: CurrentUser, learner_id: Annotated[uuid.UUID, Path(description="The learner's user id.")]
) -> Principal:
    # Checked before anything is looked up, so the answer never tells a stranger whether the learner exists.
    # async: a check of microseconds is cheaper than the hop to a worker thread a sync dependency costs.
    if not user.can_act_for(learner_id):
        raise Forbidden("Recommendations are for the learner themselves, or an admin.")
    return user


def _blocking_answer(request: Request, store: ModelStore, learner_id: uuid.UUID, k: int) -> bytes:
    """The path that may wait: check the champion alias when due, read a snapshot when there is none."""
    try:
        model: LoadedModel = store.get()
    except NoChampionError as error:
        raise Unavailable(f"{error}; run the pipeline (skillstudio materialize) first.") from error
    cache: RecommendationCache = request.app.state.recommendation_cache
    snapshot = cache.snapshot() or cache.refresh(request.app.state.serving_reads, learner_id)
    return cache.page(
        snapshot=snapshot, model=model, model_name=store.registry_name, learner_id=learner_id, k=k
    )


@router.get(
    "/learners/{learner_id}/recommendations",
    response_model=RecommendationPage,
    summary="Courses this learner is likely to take up next",
    description="For the learner themselves, or an admin. A learner with no history yet gets the most "
    'popular courses, flagged `"fallback": true`. Answers are cached for a few seconds '
    "(`SKILLSTUDIO_RECOMMENDATION_CACHE_SECONDS`, default 10): a course enrolled in or unpublished within "
    "that time may still be listed.",
    responses={
        401: {"description": "No valid access token.", "content": {PROBLEM_JSON: {}}},
        403: {"description": "Another learner's recommendations.", "content": {PROBLEM_JSON: {}}},
        503: {"description": "No champion model yet.", "content": {PROBLEM_JSON: {}}},
    },
    dependencies=[Depends(_learner_or_admin)],
)
async def recommendations(
    learner_id: uuid.UUID,
    request: Request,
    k: Annotated[int, Query(ge=1, le=100, description="How many courses to return.")] = 10,
) -> Response:
    store: ModelStore = request.app.state.model_store
    cache: RecommendationCache = request.app.state.recommendation_cache
    model, snapshot = store.current(), cache.snapshot()
    if model is None or snapshot is None:
        body = await anyio.to_thread.run_sync(_blocking_answer, request, store, learner_id, k)
        return Response(body, media_type="application/json")
    if cache.is_stale():
        cache.refresh_in_background(request.app.state.serving_reads)
    body = cache.page(
        snapshot=snapshot, model=model, model_name=store.registry_name, learner_id=learner_id, k=k
    )
    return Response(body, media_type="application/json")


def recommendation_page(request: Request, learner_id: uuid.UUID, k: int) -> RecommendationPage:
    """The route's answer as a model, for the server-rendered pages. Blocking: call it from a worker thread
    (the pages' sync handlers run in one). Raises ``Unavailable`` without a champion."""
    store: ModelStore = request.app.state.model_store
    return RecommendationPage.model_validate_json(_blocking_answer(request, store, learner_id, k))
