"""The dbt project as Dagster assets: staging views, analytics marts and learner features."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.analytics.project import DBT_PROJECT, load_manifest


@dbt_assets(manifest=load_manifest(DBT_PROJECT), project=DBT_PROJECT)
def analytics_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build every dbt model and run its data tests."""
    yield from dbt.cli(["build"], context=context).stream()
