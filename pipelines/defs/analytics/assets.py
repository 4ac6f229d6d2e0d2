"""The dbt project as Dagster assets: staging views, analytics marts and learner features, by UTC day.

Every run of these assets has a partition (a day or a range of days): Dagster 1.13 cannot record a dbt
test's result against a partitioned asset in a run without one. ``skillstudio materialize`` therefore runs
today's partition with ``dbt_decides`` set: dbt then gets no window and builds as it would on its own (a
full build the first time, each incremental model from its last day afterwards).
"""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from dagster import AssetExecutionContext, BackfillPolicy, Config, DailyPartitionsDefinition
from dagster_dbt import dbt_assets

from pipelines.defs.analytics.project import DBT_PROJECT, SkillStudioDbt, build_arguments, load_manifest

# Early enough for imported history (OULAD runs from 2013); end_offset=1 makes today a partition, so the
# sensor can refresh the day that is still filling.
DAILY = DailyPartitionsDefinition(start_date="2012-01-01", timezone="UTC", end_offset=1)


class DbtRefreshConfig(Config):
    """How the run chooses the days incremental models refresh."""

    dbt_decides: bool = False
    """Pass no window: dbt builds fully the first time and refreshes from each model's last day after."""


def refresh_window(context: AssetExecutionContext, config: DbtRefreshConfig) -> dict[str, str]:
    """The refresh window of the run's partition range (dbt/README.md, "Incremental marts")."""
    if config.dbt_decides or not (context.has_partition_key or context.has_partition_key_range):
        return {}
    window = context.partition_time_window
    return {
        "refresh_from": f"{window.start:%Y-%m-%d}",
        "refresh_to": f"{window.end - timedelta(days=1):%Y-%m-%d}",
    }


@dbt_assets(
    manifest=load_manifest(DBT_PROJECT),
    project=DBT_PROJECT,
    partitions_def=DAILY,
    # A backfill of a year is one dbt run over the year, not 365 runs.
    backfill_policy=BackfillPolicy.single_run(),
)
def analytics_dbt_assets(
    context: AssetExecutionContext, dbt: SkillStudioDbt, config: DbtRefreshConfig
) -> Iterator[Any]:
    """Build every dbt model and run its data tests; incremental models refresh the partitions' days."""
    window = refresh_window(context, config)
    context.log.info(f"Refresh window: {json.dumps(window) if window else 'none, dbt decides'}")
    yield from dbt.cli(build_arguments(window), context=context, window=window).stream()
