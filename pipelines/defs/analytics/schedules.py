"""The nightly refresh of the marts: yesterday, now complete, and today so far, in one run."""

from __future__ import annotations

from datetime import date, timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from pipelines.defs.analytics.assets import DAILY, analytics_dbt_assets
from pipelines.defs.analytics.checks import LEARNER_EVENTS
from pipelines.defs.gamification.assets import leaderboard_cache

# Every dbt model with its data tests and the reconcile checks, and the checks on the events themselves.
refresh_analytics = define_asset_job(
    "refresh_analytics",
    # The leaderboards' serving cache (issue 15) follows its mart in the same run.
    selection=AssetSelection.assets(analytics_dbt_assets, leaderboard_cache)
    | AssetSelection.checks_for_assets(LEARNER_EVENTS),
    partitions_def=DAILY,
)


def partition_range_tags(first: date, last: date) -> dict[str, str]:
    """Tags that make one run cover the partitions ``first``..``last`` (the single-run backfill shape)."""
    return {
        "dagster/asset_partition_range_start": f"{first:%Y-%m-%d}",
        "dagster/asset_partition_range_end": f"{last:%Y-%m-%d}",
    }


@schedule(
    job=refresh_analytics,
    cron_schedule="30 0 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def refresh_analytics_daily(context: ScheduleEvaluationContext) -> RunRequest:
    """Yesterday, now complete, and today so far: one run, 30 minutes past midnight UTC."""
    today = context.scheduled_execution_time.date()
    yesterday = today - timedelta(days=1)
    return RunRequest(run_key=f"{yesterday}..{today}", tags=partition_range_tags(yesterday, today))
