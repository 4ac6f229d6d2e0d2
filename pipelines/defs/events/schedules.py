"""Daily schedules for the event store: partitions ahead, and the archive of closed months."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines.defs.events.assets import learner_event_lake, learner_event_partitions
from skillstudio.settings import Settings

ensure_event_partitions = define_asset_job("ensure_event_partitions", selection=[learner_event_partitions])
archive_learner_events = define_asset_job("archive_learner_events", selection=[learner_event_lake])
JOBS = [ensure_event_partitions, archive_learner_events]


def build_schedules(settings: Settings) -> list[ScheduleDefinition]:
    """Both run from the start unless settings switch the archive off: the incremental marts keep the days
    of archived months (dbt/README.md), so archiving takes nothing out of the analytics."""
    archive_status = (
        DefaultScheduleStatus.RUNNING if settings.archive_schedule_running else DefaultScheduleStatus.STOPPED
    )
    return [
        ScheduleDefinition(
            name="ensure_event_partitions_daily",
            job=ensure_event_partitions,
            cron_schedule="10 0 * * *",
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="archive_learner_events_daily",
            job=archive_learner_events,
            cron_schedule="40 2 * * *",
            execution_timezone="UTC",
            default_status=archive_status,
        ),
    ]
