"""What the pages show that app_api may not compute itself, supplied by the composition root.

The serving layer's recommendations and the pipeline's health (Dagster instance, MLflow registry) live in
packages app_api must not import; ``skillstudio.main`` wires functions returning these plain shapes into
``app.state.page_sources``. A part that is not wired, or not built yet, is shown as not available.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AssetHealth:
    key: str
    last_materialized_at: datetime | None
    fresh: bool | None
    """Materialized within its expected interval; None when it was never materialized."""


@dataclass(frozen=True)
class FailedCheck:
    asset_key: str
    check_name: str
    at: datetime | None
    description: str


@dataclass(frozen=True)
class ModelHealth:
    name: str
    champion_version: str | None
    champion_metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    challenger_version: str | None = None
    challenger_metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SystemHealth:
    quarantined_statements: int
    default_partition_rows: int
    assets: list[AssetHealth] | None
    """None: the Dagster instance could not be read (shown as not available)."""
    failed_checks: list[FailedCheck] | None
    models: list[ModelHealth] | None
    """None: the MLflow registry could not be read."""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Recommendation:
    course_id: uuid.UUID
    title: str
    reason: str


@dataclass(frozen=True)
class RecommendationList:
    items: list[Recommendation]
    model_version: str | None


HealthSource = Callable[[Session], SystemHealth]
RecommendationSource = Callable[[Any, Session, uuid.UUID], RecommendationList | None]
"""(request, session, learner id) -> recommendations, or None when no model can answer yet."""


@dataclass(frozen=True)
class PageSources:
    health: HealthSource | None = None
    recommendations: RecommendationSource | None = None
