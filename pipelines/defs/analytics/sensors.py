"""The marts follow the events: a run for the days of whatever was received since the last look."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.defs.analytics.assets import DAILY
from pipelines.defs.analytics.schedules import partition_range_tags, refresh_analytics
from pipelines.defs.resources import PostgresResource


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
