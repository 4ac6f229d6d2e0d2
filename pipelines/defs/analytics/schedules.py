"""When the marts are refreshed: every night for yesterday and today, and whenever new events land."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from pipelines.defs.analytics.assets import DAILY, analytics_dbt_assets
from pipelines.defs.analytics.checks import LEARNER_EVENTS
from pipelines.defs.resources import PostgresResource

# Every dbt model with its data tests and the reconcile checks, and the checks on the events themselves.
refresh_analytics = define_asset_job(
    "refresh_analytics",
    selection=AssetSelection.assets(analytics_dbt_assets) | AssetSelection.checks_for_assets(LEARNER_EVENTS),
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


def _clamp(day: date, today: date) -> date:
    first = DAILY.start.date()
    return min(max(day, first), today)


@sensor(job=refresh_analytics, minimum_interval_seconds=300, default_status=DefaultSensorStatus.RUNNING)
def new_learner_events(
    context: SensorEvaluationContext, postgres: PostgresResource
) -> SensorResult | SkipReason:
    """Refresh the UTC days of the events received since the last evaluation (one run for all of them).

    The cursor is the newest ``received_at`` seen. The first evaluation only sets it: the history before
    it is what ``skillstudio materialize`` or a backfill builds, and a run over all of it would record a
    materialization per model and day. Rows stamped as received after now (a simulated history that runs to
    the end of today) count when that time comes. A row whose transaction commits after a later one was
    seen is missed here; the nightly schedule refreshes its day all the same.
    """
    if not context.cursor:
        newest = postgres.read_row(
            "select max(received_at) as newest from learner_events where received_at <= now()"
        )["newest"]
        if newest is None:
            return SkipReason("no event received yet")
        return SensorResult(cursor=newest.isoformat(), skip_reason=f"watching events received after {newest}")
    since = datetime.fromisoformat(context.cursor)
    row = postgres.read_row(
        "select min((occurred_at at time zone 'UTC')::date) as first_day, "
        "max((occurred_at at time zone 'UTC')::date) as last_day, max(received_at) as newest, "
        "count(*) as events "
        "from learner_events where received_at > %s and received_at <= now()",
        (since,),
    )
    if not row["events"]:
        return SkipReason(f"no event received after {since}")
    newest = row["newest"]
    today = datetime.now(UTC).date()
    first, last = _clamp(row["first_day"], today), _clamp(row["last_day"], today)
    request = RunRequest(run_key=newest.isoformat(), tags=partition_range_tags(first, last))
    context.log.info("%s new events on %s..%s", row["events"], first, last)
    return SensorResult(run_requests=[request], cursor=newest.isoformat())
