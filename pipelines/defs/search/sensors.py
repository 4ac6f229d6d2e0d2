"""Courses changed (created, edited, deleted): run the embedding asset for them."""

from __future__ import annotations

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.defs.resources import PostgresResource
from pipelines.defs.search.assets import embed_courses

# Every course edit bumps updated_at (the API and the importers alike); a deletion changes the count.
STATE_QUERY = "select count(*) as courses, max(updated_at) as newest from courses"


@sensor(job=embed_courses, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def changed_courses(
    context: SensorEvaluationContext, postgres: PostgresResource
) -> SensorResult | SkipReason:
    """One run whenever the catalogue's (count, newest edit) differs from the last one seen.

    The asset itself compares text hashes, so a run triggered by an edit that did not touch the page text
    (a status change) encodes nothing.
    """
    row = postgres.read_row(STATE_QUERY)
    state = f"{row['courses']}@{row['newest'].isoformat() if row['newest'] else '-'}"
    if state == context.cursor:
        return SkipReason(f"catalogue unchanged ({state})")
    return SensorResult(run_requests=[RunRequest(run_key=state)], cursor=state)
