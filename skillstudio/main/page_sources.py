"""What the web pages need from outside app_api, wired here (the composition root may import everything).

- recommendations: the serving layer's answer for a learner, with a reason a person can read;
- system health: the Dagster instance's materializations and asset checks, the MLflow registry's champions
  and challengers with their metrics next to their baselines', the quarantine and the default partition.
A part that cannot be read (no Dagster instance yet, no tracking store) is reported as not available;
reading it must never break the page.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.pages.sources import (
    AssetHealth,
    FailedCheck,
    ModelHealth,
    PageSources,
    Recommendation,
    RecommendationList,
    SystemHealth,
)
from skillstudio.errors import Unavailable
from skillstudio.events import DEFAULT_PARTITION
from skillstudio.settings import Settings

logger = logging.getLogger(__name__)

# Assets are partitioned by day and built by a daily schedule: one missed run makes an asset stale.
FRESH_WITHIN = timedelta(hours=26)
RECOMMENDED = 5


def page_sources(settings: Settings) -> PageSources:
    return PageSources(
        health=lambda session: system_health(settings, session), recommendations=recommendations
    )


# Until when (monotonic) each model store is known to have no champion: without one, every call would ask
# the registry again, serialized behind the store's lock (seconds per page on a busy server).
_NO_CHAMPION_UNTIL: dict[int, float] = {}


def recommendations(request: Any, session: Session, learner_id: uuid.UUID) -> RecommendationList | None:
    from serving.router import recommendation_page

    store = request.app.state.model_store
    if time.monotonic() < _NO_CHAMPION_UNTIL.get(id(store), float("-inf")):
        return None
    if _no_tracking_store(request.app.state.settings):
        return None  # nothing trained yet; asking would create the store (seconds) to find it empty
    try:
        # The session is the page's own; serving reads through its snapshot (request.app.state).
        page = recommendation_page(request, learner_id, k=RECOMMENDED)
    except Unavailable:
        _NO_CHAMPION_UNTIL[id(store)] = time.monotonic() + store.refresh_seconds
        return None
    return RecommendationList(
        items=[
            Recommendation(
                course_id=item.course_id,
                title=item.title,
                # The hybrid's own reasons, largest part of the score first (models/recommender/hybrid.py).
                reason="; ".join(reason.text for reason in item.reasons),
            )
            for item in page.items
        ],
        model_version=page.model_version,
    )


def system_health(settings: Settings, session: Session) -> SystemHealth:
    quarantined = session.scalar(text("select count(*) from event_quarantine where resolved_at is null")) or 0
    default_rows = session.scalar(text(f"select count(*) from {DEFAULT_PARTITION}")) or 0
    notes: list[str] = []
    assets, checks = _dagster(settings, notes)
    return SystemHealth(
        quarantined_statements=int(quarantined),
        default_partition_rows=int(default_rows),
        assets=assets,
        failed_checks=checks,
        models=_models(settings, notes),
        notes=notes,
    )


def _dagster(
    settings: Settings, notes: list[str]
) -> tuple[list[AssetHealth] | None, list[FailedCheck] | None]:
    home = settings.dagster_home
    if not any((home / name).exists() for name in ("dagster.yaml", "history", "storage")):
        notes.append(f"No Dagster instance at {home}: the pipeline has not run on this machine yet.")
        return None, None
    try:
        from dagster import DagsterEventType, DagsterInstance, EventRecordsFilter

        instance = DagsterInstance.from_config(str(home))
        try:
            now = datetime.now(UTC)
            keys = sorted(instance.get_asset_keys(), key=lambda key: key.to_user_string())
            latest = instance.get_latest_materialization_events(keys)
            assets = []
            for key in keys:
                entry = latest.get(key)
                at = datetime.fromtimestamp(entry.timestamp, UTC) if entry is not None else None
                assets.append(
                    AssetHealth(
                        key=key.to_user_string(),
                        last_materialized_at=at,
                        fresh=None if at is None else now - at <= FRESH_WITHIN,
                    )
                )
            records = instance.get_event_records(
                EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION), limit=1000
            )
            seen: set[tuple[str, str]] = set()
            failed = []
            for record in records:  # newest first: the first of each check is its current state
                evaluation: Any = record.event_log_entry.dagster_event.event_specific_data  # type: ignore[union-attr]
                name = (evaluation.asset_key.to_user_string(), evaluation.check_name)
                if name in seen:
                    continue
                seen.add(name)
                if not evaluation.passed:
                    failed.append(
                        FailedCheck(
                            asset_key=name[0],
                            check_name=name[1],
                            at=datetime.fromtimestamp(record.timestamp, UTC),
                            description=evaluation.description or "",
                        )
                    )
            return assets, failed
        finally:
            instance.dispose()
    except Exception as error:  # noqa: BLE001 - a health page reports what it cannot read
        logger.warning("Dagster instance unreadable: %s", error)
        notes.append(f"The Dagster instance could not be read: {error}")
        return None, None


def _no_tracking_store(settings: Settings) -> bool:
    """The embedded MLflow store has not been created: opening it would create it (seconds of migrations)
    just to find it empty."""
    uri = settings.tracking_uri
    return uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists()


def _metrics(client: Any, run_id: str | None) -> dict[str, float]:
    return dict(client.get_run(run_id).data.metrics) if run_id else {}


def _models(settings: Settings, notes: list[str]) -> list[ModelHealth] | None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    if _no_tracking_store(settings):
        notes.append("No MLflow tracking store yet: no model has been trained on this machine.")
        return []
    try:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
        found = []
        for registered in client.search_registered_models():
            versions: dict[str, Any] = {}
            for alias in ("champion", "challenger"):
                try:
                    versions[alias] = client.get_model_version_by_alias(registered.name, alias)
                except MlflowException:
                    versions[alias] = None
            champion, challenger = versions["champion"], versions["challenger"]
            champion_all = _metrics(client, champion.run_id) if champion else {}
            challenger_all = _metrics(client, challenger.run_id) if challenger else {}
            found.append(
                ModelHealth(
                    name=registered.name,
                    champion_version=champion.version if champion else None,
                    champion_metrics=_own(champion_all),
                    baseline_metrics=_baselines(champion_all),
                    challenger_version=challenger.version if challenger else None,
                    challenger_metrics=_own(challenger_all),
                )
            )
        return found
    except Exception as error:  # noqa: BLE001 - a health page reports what it cannot read
        logger.warning("MLflow registry unreadable: %s", error)
        notes.append(f"The MLflow registry could not be read: {error}")
        return None


def _own(metrics: dict[str, float]) -> dict[str, float]:
    """The model's own figures: training runs log the baseline's as ``baseline_<metric>``."""
    return {name: value for name, value in sorted(metrics.items()) if "baseline" not in name}


def _baselines(metrics: dict[str, float]) -> dict[str, float]:
    return {
        name.removeprefix("baseline_"): value
        for name, value in metrics.items()
        if name.startswith("baseline_")
    }
