"""One Definitions object for the whole platform; `skillstudio.main.definitions` runs it with the
learning API's hooks wired in: the learning-path adjustment and the completion-risk interventions
(`dagster dev -m skillstudio.main.definitions`)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ResourceDefinition, define_asset_job

from pipelines.defs.analytics.assets import analytics_dbt_assets
from pipelines.defs.analytics.checks import CHECKS as ANALYTICS_CHECKS
from pipelines.defs.analytics.checks import LEARNER_EVENTS
from pipelines.defs.analytics.schedules import refresh_analytics, refresh_analytics_daily
from pipelines.defs.analytics.sensors import new_learner_events
from pipelines.defs.events.assets import GROUP as EVENT_MAINTENANCE
from pipelines.defs.events.assets import learner_event_lake, learner_event_partitions
from pipelines.defs.events.resources import EventLakeResource
from pipelines.defs.events.schedules import JOBS as EVENT_JOBS
from pipelines.defs.events.schedules import build_schedules as build_event_schedules
from pipelines.defs.gamification.assets import leaderboard_cache
from pipelines.defs.gamification.checks import xp_ledger_sums_to_totals
from pipelines.defs.mastery.assets import skill_mastery
from pipelines.defs.mastery.checks import skill_responses_reconcile_with_answers
from pipelines.defs.paths.jobs import (
    PathAdjuster,
    adjust_learning_paths_job,
    adjust_learning_paths_weekly,
    not_wired,
)
from pipelines.defs.recommendations.assets import course_recommender
from pipelines.defs.recommendations.schedules import retrain_models, retrain_models_weekly
from pipelines.defs.resources import build_resources
from pipelines.defs.risk.assets import (
    RiskInterventions,
    completion_risk,
    completion_risk_interventions,
    completion_risk_scores,
)
from pipelines.defs.risk.resources import interventions_not_wired
from pipelines.defs.risk.schedules import score_completion_risk, score_completion_risk_daily
from pipelines.defs.search.assets import course_embeddings, embed_courses
from pipelines.defs.search.sensors import changed_courses
from skillstudio.settings import Settings, get_settings

ALL_ASSETS = [
    analytics_dbt_assets,
    course_recommender,
    skill_mastery,
    learner_event_partitions,
    learner_event_lake,
    course_embeddings,
    completion_risk,
    completion_risk_scores,
    completion_risk_interventions,
    leaderboard_cache,
]

# Maintenance runs on its own schedules: archiving inside "everything" would take imported history out of
# the database right before dbt reads it. Run without a partition, dbt decides what to build.
refresh_everything = define_asset_job(
    "refresh_everything",
    selection=(AssetSelection.all() - AssetSelection.groups(EVENT_MAINTENANCE))
    | AssetSelection.checks_for_assets(LEARNER_EVENTS),
)


def build_definitions(
    settings: Settings | None = None,
    *,
    learning_path_adjuster: PathAdjuster | None = None,
    risk_interventions: RiskInterventions | None = None,
) -> Definitions:
    """What only the composition root can give (``skillstudio.main.definitions``): ``learning_path_adjuster``,
    the weekly path adjustment, and ``risk_interventions``, the learning API's hook after each risk scoring;
    without the latter the interventions asset records that nothing was wired."""
    settings = settings or get_settings()
    adjuster = ResourceDefinition.hardcoded_resource(learning_path_adjuster or not_wired)
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=[*ANALYTICS_CHECKS, skill_responses_reconcile_with_answers, xp_ledger_sums_to_totals],
        jobs=[
            refresh_everything,
            refresh_analytics,
            retrain_models,
            embed_courses,
            score_completion_risk,
            *EVENT_JOBS,
            adjust_learning_paths_job,
        ],
        schedules=[
            refresh_analytics_daily,
            retrain_models_weekly,
            score_completion_risk_daily,
            *build_event_schedules(settings),
            adjust_learning_paths_weekly,
        ],  # fmt: skip
        sensors=[new_learner_events, changed_courses],
        resources={
            **build_resources(settings),
            "event_lake": EventLakeResource.from_settings(settings),
            "learning_paths": adjuster,
            "risk_interventions": risk_interventions or interventions_not_wired,
        },  # fmt: skip
    )


def __getattr__(name: str) -> Definitions:
    # Built on first access so that importing this module never starts a database by itself.
    if name == "defs":
        return build_definitions()
    raise AttributeError(name)
