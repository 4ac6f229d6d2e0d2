"""Daily completion-risk scoring, once the nightly refresh of the marts (00:30 UTC) has had time."""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines.defs.risk.assets import GROUP

score_completion_risk = define_asset_job("score_completion_risk", selection=AssetSelection.groups(GROUP))

score_completion_risk_daily = ScheduleDefinition(
    name="score_completion_risk_daily",
    job=score_completion_risk,
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
