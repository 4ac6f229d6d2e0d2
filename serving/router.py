"""Recommendation endpoints: the champion model's answer, minus what the learner already takes.

The route is async and answers from memory (serving/answers.py): the token is checked, the learner's page
is ranked from the loaded model and the catalogue snapshot (or taken from the page cache), and sent as
encoded JSON, with neither a database round trip nor a worker thread. Only a due check of the champion
alias or a process's first snapshot runs in a worker thread. The served list is queued for the event log
(serving/experiments.py) and written after the response, in batches.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.background import BackgroundTask

from serving.answers import RecommendationCache
from serving.experiments import Experiment, ServedList, ServedLog, served_now
from serving.model_store import LoadedModel, ModelStore, NoChampionError
from serving.schemas import RecommendationPage, Variant
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


def _blocking_answer(
    request: Request, variant: Variant, store: ModelStore, learner_id: uuid.UUID, k: int
) -> tuple[bytes, ServedList]:
    """The path that may wait: check the alias when due, read a snapshot when there is none. A challenger
    found missing serves the champion instead."""
    experiment: Experiment = request.app.state.experiment
    try:
        model: LoadedModel = store.get()
    except NoChampionError as error:
        if store is experiment.champion:
            raise Unavailable(f"{error}; run the pipeline (skillstudio materialize) first.") from error
        return _blocking_answer(request, "champion", experiment.champion, learner_id, k)
    cache: RecommendationCache = request.app.state.recommendation_cache
    snapshot = cache.snapshot() or cache.refresh(request.app.state.serving_reads, learner_id)
    body, items = cache.served_page(
        snapshot=snapshot, model=model, model_name=store.registry_name, learner_id=learner_id, k=k,
        variant=variant,
    )  # fmt: skip
    return body, served_now(learner_id, store.registry_name, model.version, variant, k, items)


@router.get(
    "/learners/{learner_id}/recommendations",
    response_model=RecommendationPage,
    summary="Courses this learner is likely to take up next",
    description="For the learner themselves, or an admin. A learner with no history yet gets the most "
    'popular courses, flagged `"fallback": true`. Answers are cached for a few seconds '
    "(`SKILLSTUDIO_RECOMMENDATION_CACHE_SECONDS`, default 10): a course enrolled in or unpublished within "
    "that time may still be listed. With a live experiment on (`SKILLSTUDIO_RECOMMENDER_CHALLENGER_SHARE`), "
    "a stable share of learners, by a hash of their id, is served the challenger model (`variant`). Every "
    "served list is logged as a `was-served` learner event.",
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
    state = request.app.state
    experiment: Experiment = state.experiment
    variant, store = experiment.arm(learner_id)
    cache: RecommendationCache = state.recommendation_cache
    model, snapshot = store.current(), cache.snapshot()
    if model is None or snapshot is None:
        body, served = await anyio.to_thread.run_sync(
            _blocking_answer, request, variant, store, learner_id, k
        )
    else:
        if cache.is_stale():
            cache.refresh_in_background(state.serving_reads)
        body, items = cache.served_page(
            snapshot=snapshot, model=model, model_name=store.registry_name, learner_id=learner_id, k=k,
            variant=variant,
        )  # fmt: skip
        served = served_now(learner_id, store.registry_name, model.version, variant, k, items)
    log: ServedLog = state.served_log
    # The list is written after the response has gone, with the others queued since the last write.
    due = log.add(served)
    background = BackgroundTask(log.flush_logged, state.serving_reads) if due else None
    return Response(body, media_type="application/json", background=background)


def recommendation_page(request: Request, learner_id: uuid.UUID, k: int) -> RecommendationPage:
    """The route's answer as a model, for the server-rendered pages. Blocking: call it from a worker thread
    (the pages' sync handlers run in one). Raises ``Unavailable`` without a champion. The list is logged
    as served, like the route's."""
    experiment: Experiment = request.app.state.experiment
    variant, store = experiment.arm(learner_id)
    body, served = _blocking_answer(request, variant, store, learner_id, k)
    log: ServedLog = request.app.state.served_log
    if log.add(served):
        log.flush_logged(request.app.state.serving_reads)
    return RecommendationPage.model_validate_json(body)
