"""Completion risk: train and register the model weekly, score every open enrollment daily, then let the
learning API tell the newly at-risk learners and their instructors."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, ResourceParam, asset
from dagster_dbt import get_asset_key_for_model

from models.completion_risk import DEFAULT_PARAMS, read_features, read_truth_dropouts
from models.completion_risk.train import NotEnoughHistory, train_completion_risk
from pipelines.defs.analytics.assets import analytics_dbt_assets
from pipelines.defs.recommendations.assets import GROUP as MODELS
from pipelines.defs.resources import MLflowResource, PostgresResource
from pipelines.defs.risk.store import ALL_DAYS, score_active_enrollments
from skillstudio.db import libpq_url

GROUP = "completion_risk"
FEATURES = get_asset_key_for_model([analytics_dbt_assets], "fct_enrollment_features")
LEARNERS = get_asset_key_for_model([analytics_dbt_assets], "dim_learners")
# The learning API's interventions, wired by the composition root (pipelines cannot import app_api): called
# after each scoring, it returns what it did ({"learners_notified", "digests"}).
RiskInterventions = Callable[[], dict[str, Any]]


class RiskTrainingConfig(Config):
    """What a run may override (tests shrink the trees; the grid days default to all the mart has)."""

    max_iter: int = DEFAULT_PARAMS.max_iter
    folds: int = DEFAULT_PARAMS.folds
    seed: int = DEFAULT_PARAMS.seed
    days: list[int] | None = None


@asset(deps=[FEATURES, LEARNERS], group_name=MODELS, compute_kind="sklearn")
def completion_risk(
    context: AssetExecutionContext,
    config: RiskTrainingConfig,
    postgres: PostgresResource,
    mlflow: MLflowResource,
) -> MaterializeResult:
    """Choose, evaluate on later runs against the baselines and the champion, register, move `champion`."""
    with psycopg.connect(libpq_url(postgres.url)) as conn:
        frame = read_features(conn, ALL_DAYS)
        # Generated data only: the generator's hidden dropouts score the evaluated model too.
        truth = read_truth_dropouts(conn)
    params = replace(DEFAULT_PARAMS, max_iter=config.max_iter, folds=config.folds, seed=config.seed)
    try:
        result = train_completion_risk(
            frame,
            tracking_uri=mlflow.tracking_uri,
            params=params,
            days=config.days,
            truth=truth,
            progress=context.log.debug,
        )
    except NotEnoughHistory as error:
        # A young platform has no finished runs yet: nothing to learn, which is not a failure of the run.
        context.log.warning("completion_risk not trained: %s", error)
        return MaterializeResult(metadata={"trained": False, "reason": str(error)})
    context.log.info(
        "completion_risk v%s is %s: mean AUC %.3f vs mean score only %.3f%s",
        result.model_version,
        result.alias,
        result.metrics["mean_auc"],
        result.metrics["mean_baseline_auc"],
        ""
        if result.compared_with is None
        else f", champion v{result.compared_with} {result.metrics['champion_mean_auc']:.3f}",
    )
    return MaterializeResult(
        metadata={
            "trained": True,
            "model_version": result.model_version,
            "alias": result.alias,
            "mlflow_run_id": result.run_id,
            "days": MetadataValue.json(result.days),
            "test_runs_from": result.test_runs_from.isoformat(),
            **{name: MetadataValue.float(float(value)) for name, value in result.metrics.items()},
        }
    )


@asset(deps=[completion_risk, FEATURES], group_name=GROUP, compute_kind="sklearn")
def completion_risk_scores(
    context: AssetExecutionContext, postgres: PostgresResource, mlflow: MLflowResource
) -> MaterializeResult:
    """Score every open enrollment with the champion into `completion_risk_scores` with bands, reasons."""
    try:
        result = score_active_enrollments(
            postgres.url, tracking_uri=mlflow.tracking_uri, now=datetime.now(UTC)
        )
    except LookupError as error:
        context.log.warning("no completion-risk scores: %s", error)
        return MaterializeResult(metadata={"scored": 0, "reason": str(error)})
    context.log.info(
        "scored %s open enrollments with v%s: %s", result.scored, result.model_version, result.bands
    )
    return MaterializeResult(
        metadata={
            "model_version": result.model_version,
            "scored": result.scored,
            "removed": result.removed,
            "newly_high": result.newly_high,
            "bands": MetadataValue.json(result.bands),
            "seconds": MetadataValue.json(result.seconds),
        }
    )


@asset(deps=[completion_risk_scores], group_name=GROUP, compute_kind="python")
def completion_risk_interventions(
    context: AssetExecutionContext, risk_interventions: ResourceParam[RiskInterventions]
) -> MaterializeResult:
    """Tell learners newly in the high band their next step, and their instructors in a digest."""
    summary = risk_interventions()
    context.log.info("completion-risk interventions: %s", summary)
    return MaterializeResult(metadata=dict(summary))
