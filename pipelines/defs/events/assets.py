"""Event store maintenance as assets: partitions ahead of time, and the lake of closed months."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from datetime import UTC, datetime

import psycopg
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.defs.events.resources import EventLakeResource
from pipelines.defs.resources import PostgresResource
from skillstudio.db import libpq_url
from skillstudio.events.partitions import closed_before, ensure_months_ahead, list_partitions, parse_age
from skillstudio.lake.archive import MonthResult, Progress, archive_closed_months

GROUP = "event_maintenance"


@asset(group_name=GROUP, compute_kind="postgres")
def learner_event_partitions(
    context: AssetExecutionContext, postgres: PostgresResource, event_lake: EventLakeResource
) -> MaterializeResult:
    """Monthly learner_events partitions exist from the current month to the configured months ahead."""
    with psycopg.connect(libpq_url(postgres.url), autocommit=True) as conn:
        with conn.transaction():
            ensured = ensure_months_ahead(conn, event_lake.partition_months_ahead)
        infos = list_partitions(conn)
    default_rows = sum(info.rows for info in infos if info.month is None)
    context.log.info("partitions ready: %s", ", ".join(ensured))
    return MaterializeResult(
        metadata={
            "partitions": len(infos),
            "latest_month": max(f"{info.month:%Y-%m}" for info in infos if info.month),
            "rows_in_default_partition": default_rows,
        }
    )


class _LogProgress(Progress):
    def __init__(self, context: AssetExecutionContext) -> None:
        self.context = context

    def month_finished(self, result: MonthResult) -> None:
        self.context.log.info("%s: %s, %s rows", f"{result.month:%Y-%m}", result.action, result.rows)


@asset(group_name=GROUP, compute_kind="parquet")
def learner_event_lake(
    context: AssetExecutionContext, postgres: PostgresResource, event_lake: EventLakeResource
) -> MaterializeResult:
    """Closed months of learner_events archived to Parquet, verified, and dropped from the database."""
    before = closed_before(parse_age(event_lake.archive_older_than).cutoff(datetime.now(UTC)))
    store = event_lake.store()
    results = archive_closed_months(
        libpq_url(postgres.url), store, before=before, progress=_LogProgress(context)
    )
    busy = [f"{result.month:%Y-%m}" for result in results if result.action == "busy"]
    if busy:
        context.log.warning("stayed live because learner_events was busy (next run retries): %s", busy)
    return MaterializeResult(
        metadata={
            "archived_before": f"{before:%Y-%m}",
            "lake": store.glob(),
            "months": MetadataValue.json(
                [{"month": f"{r.month:%Y-%m}", "action": r.action, "rows": r.rows} for r in results]
            ),
            "rows_moved": sum(r.rows for r in results if r.action in {"archived", "merged"}),
            "months_busy": len(busy),
        }
    )
