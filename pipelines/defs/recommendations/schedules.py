"""Weekly retraining: the models re-fit on the marts the nightly runs keep fresh."""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines.defs.analytics.checks import interactions_reconcile_with_events
from pipelines.defs.mastery.checks import skill_responses_reconcile_with_answers
from pipelines.defs.recommendations.assets import GROUP

# The training assets (course_recommender, skill_mastery), and the blocking checks on what they read: the
# marts are not rebuilt here, but a mart that disagrees with its source stops the training instead of
# feeding it.
retrain_models = define_asset_job(
    "retrain_models",
    selection=AssetSelection.groups(GROUP)
    | AssetSelection.checks(interactions_reconcile_with_events, skill_responses_reconcile_with_answers),
)

retrain_models_weekly = ScheduleDefinition(
    name="retrain_models_weekly",
    job=retrain_models,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
