"""Checks that the marts agree with the events they were built from, and that the events are sane.

The dbt data tests (keys, relationships, accepted values) arrive as asset checks with the dbt assets. These
compare a mart with ``learner_events`` itself, which a dbt test could do too, but a Dagster check can run on
its own (the weekly retraining runs the interactions reconcile without rebuilding the marts), can block the
training downstream, and reports its counts as metadata.

Months archived to the lake are no longer in ``learner_events`` while the marts keep their days, so
reconciles compare only the days after the last archived month.
"""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

import json
from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)
from dagster_dbt import DbtCliResource, get_asset_key_for_model, get_asset_keys_by_output_name_for_source

from pipelines.defs.analytics.assets import analytics_dbt_assets
from pipelines.defs.resources import PostgresResource
from skillstudio.events.contract import MAX_CLOCK_SKEW
from skillstudio.events.partitions import DEFAULT_PARTITION

LEARNER_EVENTS = next(
    key
    for key in get_asset_keys_by_output_name_for_source([analytics_dbt_assets], "skillstudio").values()
    if key.path[-1] == "learner_events"
)
PLATFORM_DAILY = get_asset_key_for_model([analytics_dbt_assets], "fct_platform_daily")
INTERACTIONS = get_asset_key_for_model([analytics_dbt_assets], "fct_learner_course_interactions")

# The first day whose events are still in learner_events (as dbt/macros/refresh_window.sql computes it).
FIRST_LIVE_DAY = (
    "(select coalesce((max(month) + interval '1 month')::date, date '0001-01-01') from learner_event_archive)"
)
UTC_DAY = "(occurred_at at time zone 'UTC')::date"


@asset_check(asset=LEARNER_EVENTS, description="No learner_events row sits in the default partition.")
def no_events_in_default_partition(postgres: PostgresResource) -> AssetCheckResult:
    # Events land there when their month has no partition: the partitions schedule is behind, or a
    # statement is dated far outside the months kept ready. The archive cannot move such a month.
    row = postgres.read_row(
        "select count(*) as rows, min(occurred_at)::text as earliest, max(occurred_at)::text as latest "
        f"from {DEFAULT_PARTITION}",
    )
    return AssetCheckResult(passed=row["rows"] == 0, metadata=row)


@asset_check(
    asset=LEARNER_EVENTS,
    description="No event is dated after it was received, nor after now, beyond the allowed clock skew.",
)
def no_future_events(postgres: PostgresResource) -> AssetCheckResult:
    # Intake refuses a statement dated after its receipt (+ skew), so such a row means a writer bypassed
    # it: an error. Rows dated after now but not after their own receipt are a simulated history whose
    # day is not over yet (the demo's generator writes the whole of today): a warning.
    skew = f"interval '{int(MAX_CLOCK_SKEW.total_seconds())} seconds'"
    row = postgres.read_row(
        f"select count(*) filter (where occurred_at > received_at + {skew}) as after_receipt, "
        f"count(*) filter (where occurred_at > now() + {skew}) as after_now, "
        "max(occurred_at)::text as latest from learner_events "
        f"where occurred_at > least(received_at, now()) + {skew}",
    )
    severity = AssetCheckSeverity.ERROR if row["after_receipt"] else AssetCheckSeverity.WARN
    passed = not row["after_receipt"] and not row["after_now"]
    return AssetCheckResult(passed=passed, severity=severity, metadata={**row, "skew": str(MAX_CLOCK_SKEW)})


@asset_check(
    asset=LEARNER_EVENTS,
    description="dbt source freshness: the newest received_at is recent (thresholds in the sources YAML).",
)
def learner_events_source_freshness(dbt: DbtCliResource) -> AssetCheckResult:
    invocation = dbt.cli(
        ["source", "freshness", "--select", "source:skillstudio.learner_events"], raise_on_error=False
    ).wait()
    (result,) = invocation.get_artifact("sources.json")["results"]
    status = result["status"]
    metadata = {
        "status": status,
        "max_loaded_at": result.get("max_loaded_at"),
        "age_seconds": result.get("max_loaded_at_time_ago_in_s"),
        "criteria": json.dumps(result.get("criteria")),
    }
    severity = AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR
    return AssetCheckResult(passed=status == "pass", severity=severity, metadata=metadata)


@asset_check(
    asset=PLATFORM_DAILY,
    additional_deps=[LEARNER_EVENTS],
    description="Enrollments per day equal the registered-course events of that day.",
)
def platform_daily_reconciles_with_events(postgres: PostgresResource) -> AssetCheckResult:
    row = postgres.read_row(
        f"""
        with events as (
            select {UTC_DAY} as activity_date, count(*) as enrollments
            from learner_events
            where verb = 'registered' and object_type = 'course' and {UTC_DAY} >= {FIRST_LIVE_DAY}
            group by 1
        ),
        mart as (
            select activity_date, enrollments from analytics.fct_platform_daily
            where activity_date >= {FIRST_LIVE_DAY}
        )
        select
            coalesce(sum(events.enrollments), 0)::bigint as event_enrollments,
            coalesce(sum(mart.enrollments), 0)::bigint as mart_enrollments,
            count(*) filter (
                where coalesce(events.enrollments, 0) <> coalesce(mart.enrollments, 0)
            ) as days_that_differ,
            min(activity_date) filter (
                where coalesce(events.enrollments, 0) <> coalesce(mart.enrollments, 0)
            )::text as first_day_that_differs
        from events full join mart using (activity_date)
        """,
    )
    return AssetCheckResult(passed=row["days_that_differ"] == 0, metadata=row)


@asset_check(
    asset=PLATFORM_DAILY,
    additional_deps=[LEARNER_EVENTS],
    description="The newest day of fct_platform_daily is not older than the newest event day (up to today).",
)
def platform_daily_is_fresh(postgres: PostgresResource) -> AssetCheckResult:
    # Capped at today: days beyond it are not partitions yet, so no run refreshes them until they are.
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    row = postgres.read_row(
        f"select (select max(activity_date) from analytics.fct_platform_daily)::text as newest_mart_day, "
        f"(select least(max({UTC_DAY}), date '{today}') from learner_events)::text as newest_event_day",
    )
    newest_mart, newest_event = row["newest_mart_day"], row["newest_event_day"]
    passed = newest_event is None or (newest_mart is not None and str(newest_mart) >= str(newest_event))
    return AssetCheckResult(passed=passed, metadata=row)


@asset_check(
    asset=INTERACTIONS,
    additional_deps=[LEARNER_EVENTS],
    blocking=True,
    description="Every learner-course pair of the events is in the mart with the same event count; "
    "blocks the recommender, which would otherwise train on missing interactions.",
)
def interactions_reconcile_with_events(postgres: PostgresResource) -> AssetCheckResult:
    # The mart has no day column, so with months archived its counts include events no longer in the
    # database: it may then hold more than the live events, never fewer.
    row = postgres.read_row(
        f"""
        with events as (
            select actor_id as learner_id, course_id,
                count(*) filter (where verb not in ('registered', 'unregistered')) as event_count
            from learner_events
            where course_id is not null
            group by 1, 2
        ),
        mart as (
            select learner_id, course_id, event_count from analytics.fct_learner_course_interactions
        ),
        archived as (select {FIRST_LIVE_DAY} > date '0001-01-01' as any_month)
        select
            (select any_month from archived) as months_archived,
            coalesce(sum(events.event_count), 0)::bigint as event_count,
            coalesce(sum(mart.event_count), 0)::bigint as mart_event_count,
            count(*) filter (where mart.learner_id is null) as pairs_missing_from_mart,
            count(*) filter (
                where events.learner_id is null and not (select any_month from archived)
            ) as pairs_not_in_events,
            count(*) filter (
                where mart.event_count < events.event_count
                    or (mart.event_count > events.event_count and not (select any_month from archived))
            ) as pairs_with_other_counts
        from events full join mart using (learner_id, course_id)
        """,
    )
    wrong = row["pairs_missing_from_mart"], row["pairs_not_in_events"], row["pairs_with_other_counts"]
    return AssetCheckResult(passed=not any(wrong), metadata=row)


CHECKS: list[AssetChecksDefinition] = [
    no_events_in_default_partition,
    no_future_events,
    learner_events_source_freshness,
    platform_daily_reconciles_with_events,
    platform_daily_is_fresh,
    interactions_reconcile_with_events,
]
