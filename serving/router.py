"""Recommendation endpoints: the champion model's answer, minus what the learner already takes.

The route is async and answers from memory (serving/answers.py): the token is checked, the learner's page
is ranked from the loaded model and the catalogue snapshot (or taken from the page cache), and sent as
encoded JSON, with neither a database round trip nor a worker thread. Only a due check of the champion
alias or a process's first snapshot runs in a worker thread. The served list is queued for the event log
(serving/experiments.py) and written after the response, in batches.

A well-formed request (a bearer token, a canonical learner id, no query or only ``k=1..100``) that the
cache can answer skips routing and FastAPI's generic dependency resolution: ``RecommendationShortcut``
(installed by the app factory) reads the three values itself with the same checks, and hands anything
else (a missing or bad token, another learner, a malformed id or ``k``, other query parameters,
overridden dependencies, no model or snapshot yet) to the declared route, which answers it as before.
Resolving the declared dependencies was a sixth of a worker's CPU per cached answer, routing and the
route's wrappers another tenth (benchmarks/serving.py, py-spy).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.security.utils import get_authorization_scheme_param
from starlette.background import BackgroundTask
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.answers import RecommendationCache
from serving.experiments import Experiment, ServedList, ServedLog, served_now
from serving.model_store import LoadedModel, ModelStore, NoChampionError
from serving.schemas import RecommendationPage, Variant
from skillstudio.errors import Forbidden, Unauthenticated, Unavailable
from skillstudio.web.principals import Principal, decode_access_token
from skillstudio.web.problems import PROBLEM_JSON
from skillstudio.web.security import CurrentUser, current_user

DEFAULT_K = 10
MAX_K = 100
_K_ONLY = re.compile(rb"k=([1-9][0-9]{0,2})")


def well_formed(
    app: Any, raw_id: str, query: bytes, headers: Iterable[tuple[bytes, bytes]]
) -> tuple[uuid.UUID, int] | None:
    """The learner id and ``k`` of a request the declared route would answer for its caller, or None to
    let the declared route decide (and answer 401, 403 or 422 with its usual problem).

    The same checks as the route's dependencies, on the common form only: the first Authorization header
    as ``HTTPBearer`` reads it, a token ``decode_access_token`` accepts, a caller who may act for the
    learner, the id in its canonical form, and ``k`` alone in the query, in range."""
    overrides = getattr(app, "dependency_overrides", None)
    if overrides and not overrides.keys().isdisjoint(_DECLARED_DEPENDENCIES):
        return None
    if not query:
        k = DEFAULT_K
    else:
        match = _K_ONLY.fullmatch(query)
        if match is None or (k := int(match.group(1))) > MAX_K:
            return None
    if len(raw_id) != 36:
        return None
    try:
        learner_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    if str(learner_id) != raw_id:
        return None  # upper case, braces, a URN: the declared route's validation decides
    authorization = next((value for name, value in headers if name == b"authorization"), None)
    if authorization is None:
        return None
    scheme, token = get_authorization_scheme_param(authorization.decode("latin-1"))
    if not token or scheme.lower() != "bearer":
        return None
    try:
        user = decode_access_token(app.state.settings, token)
    except Unauthenticated:
        return None
    if not user.can_act_for(learner_id):
        return None
    return learner_id, k


class RecommendationShortcut:
    """ASGI middleware answering a well-formed ``GET`` of the route (``well_formed``) from the cache, ahead
    of routing; any other request, or one the cache cannot answer yet, goes on to the app unchanged. It
    sits inside the app's error middleware, and the declared route stays what the OpenAPI describes."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self._path = re.compile(re.escape(prefix) + r"/learners/([^/]+)/recommendations")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = self._path.fullmatch(scope["path"])
            if match is not None:
                response = self._cached(scope, match.group(1))
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    def _cached(scope: Scope, raw_id: str) -> Response | None:
        app = scope.get("app")
        if app is None:
            return None
        arguments = well_formed(app, raw_id, scope["query_string"], scope["headers"])
        if arguments is None:
            return None
        try:
            return cached_answer(app.state, *arguments)
        except Exception:  # the declared route meets it again and answers it with the app's error handling
            return None


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
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many courses to return.")] = DEFAULT_K,
) -> Response:
    return await answer(request, learner_id, k)


async def answer(request: Request, learner_id: uuid.UUID, k: int) -> Response:
    """The encoded page for a request already authenticated and authorized, its list queued for the log."""
    cached = cached_answer(request.app.state, learner_id, k)
    if cached is not None:
        return cached
    state = request.app.state
    variant, store = state.experiment.arm(learner_id)
    body, served = await anyio.to_thread.run_sync(_blocking_answer, request, variant, store, learner_id, k)
    return _logged(state, body, served)


def cached_answer(state: Any, learner_id: uuid.UUID, k: int) -> Response | None:
    """The answer from the loaded model and the current snapshot, without waiting; None while either is
    missing (a process's first request, a due alias check), for the caller to wait for them."""
    experiment: Experiment = state.experiment
    variant, store = experiment.arm(learner_id)
    cache: RecommendationCache = state.recommendation_cache
    model, snapshot = store.current(), cache.snapshot()
    if model is None or snapshot is None:
        return None
    if cache.is_stale():
        cache.refresh_in_background(state.serving_reads)
    body, items = cache.served_page(
        snapshot=snapshot, model=model, model_name=store.registry_name, learner_id=learner_id, k=k,
        variant=variant,
    )  # fmt: skip
    served = served_now(learner_id, store.registry_name, model.version, variant, k, items)
    return _logged(state, body, served)


def _logged(state: Any, body: bytes, served: ServedList) -> Response:
    log: ServedLog = state.served_log
    # The list is written after the response has gone, with the others queued since the last write.
    due = log.add(served)
    background = BackgroundTask(log.flush_logged, state.serving_reads) if due else None
    return Response(body, media_type="application/json", background=background)


# A test or an app overriding one of these gets the declared route's resolution on every request.
_DECLARED_DEPENDENCIES = frozenset({current_user, _learner_or_admin})


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
