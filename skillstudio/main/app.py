"""The application factory: the learning API and the serving layer in one FastAPI app.

Like the CLI, this is one of the two places allowed to import ``app_api`` and ``serving``; it does so
inside ``create_app`` so that importing ``skillstudio`` stays free of them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from skillstudio.db import database_url, driver_connection, engine_for
from skillstudio.events import GroupWriter, ensure_months_ahead
from skillstudio.settings import Settings, get_settings
from skillstudio.web.methods import install_method_not_allowed
from skillstudio.web.openapi import install_openapi
from skillstudio.web.problems import install_problem_handlers


def create_app(settings: Settings | None = None) -> FastAPI:
    from app_api.pages.install import install_pages, warm_up_pages
    from app_api.reactions import install_reactions
    from app_api.router import api_router
    from serving.answers import RecommendationCache
    from serving.experiments import Experiment, ServedLog
    from serving.model_store import ModelStore
    from serving.router import RecommendationShortcut
    from serving.router import router as serving_router
    from serving.search.engine import VectorIndex
    from serving.search.router import router as search_router
    from serving.search.router import search_encoder
    from skillstudio.main.mastery_wiring import install_mastery_updater

    settings = settings or get_settings()
    engine = engine_for(database_url(settings))
    install_reactions()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Months ahead get their partitions at every start, so a server running past the migration's
        # horizon still writes into real partitions rather than the default one.
        with app.state.session_factory.begin() as session:
            ensure_months_ahead(driver_connection(session), settings.partition_months_ahead)
        # The chart renderer starts in the background, so the first dashboard does not pay for it.
        threading.Thread(target=warm_up_pages, name="warm-up-charts", daemon=True).start()
        # What start-up loaded lives as long as the server: keep the garbage collector from walking it
        # on every full collection (event batches allocate enough to trigger one every few requests,
        # and each cost ~200 ms of CPU). A 1,000-statement batch allocates tens of thousands of
        # short-lived objects; collecting young objects every 50,000 allocations instead of every 700
        # saves ~10% of its CPU.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        yield
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        # Served lists still queued are written before the process goes: none is lost at a clean stop.
        app.state.served_log.close(app.state.serving_reads)
        app.state.model_store.close()

    app = FastAPI(
        title="SkillStudio",
        version="0.1.0",
        summary="Adaptive learning platform: learning API, learner events and recommendations.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.session_factory = sessionmaker(engine, expire_on_commit=False)
    app.state.event_writer = GroupWriter(app.state.session_factory)
    app.state.model_store = ModelStore(
        tracking_uri=settings.tracking_uri,
        registry_name=settings.recommender_name,
        refresh_seconds=settings.model_refresh_seconds,
    )
    challenger = None
    if settings.recommender_challenger_share > 0:
        challenger = ModelStore(
            tracking_uri=settings.tracking_uri,
            registry_name=settings.recommender_name,
            refresh_seconds=settings.model_refresh_seconds,
            alias=settings.recommender_challenger_alias,
            keep_last=False,
        )
    app.state.experiment = Experiment(
        champion=app.state.model_store,
        challenger=challenger,
        share=settings.recommender_challenger_share,
        salt=settings.recommender_experiment_salt,
    )
    app.state.served_log = ServedLog(flush_seconds=settings.recommendation_log_flush_seconds)
    # Loaded by the first search, not here: the model takes seconds and most processes never search.
    app.state.search_encoder = search_encoder()
    app.state.vector_index = VectorIndex(refresh_seconds=settings.model_refresh_seconds)
    app.state.mastery_version = install_mastery_updater(settings)
    app.state.recommendation_cache = RecommendationCache(ttl_seconds=settings.recommendation_cache_seconds)
    # Serving's reads, replaceable like the event writer (tests read inside their own transaction).
    app.state.serving_reads = app.state.session_factory.begin
    install_problem_handlers(app)
    install_method_not_allowed(app)
    install_openapi(app)
    # Serving first: Starlette tries routes in order, and matching the learning API's hundred routes before
    # reaching a serving route cost more CPU than answering it (benchmarks/serving.py).
    app.include_router(serving_router, prefix="/api/v1")
    # A well-formed recommendations request the cache can answer is answered before routing
    # (serving/router.py).
    app.add_middleware(RecommendationShortcut, prefix="/api/v1")
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(search_router, prefix="/api/v1")
    # Pages under /app, after the problem handlers (they render those problems for people).
    from skillstudio.main.page_sources import page_sources

    install_pages(app, page_sources(settings))

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
