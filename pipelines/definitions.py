"""One Definitions object for the whole platform (``dagster dev -m pipelines.definitions``)."""

from __future__ import annotations

from dagster import Definitions, define_asset_job

from pipelines.defs.analytics.assets import analytics_dbt_assets
from pipelines.defs.recommendations.assets import course_recommender
from pipelines.defs.resources import build_resources
from skillstudio.settings import Settings, get_settings

ALL_ASSETS = [analytics_dbt_assets, course_recommender]

refresh_everything = define_asset_job("refresh_everything", selection="*")


def build_definitions(settings: Settings | None = None) -> Definitions:
    return Definitions(
        assets=ALL_ASSETS,
        jobs=[refresh_everything],
        resources=build_resources(settings or get_settings()),
    )


def __getattr__(name: str) -> Definitions:
    # Built on first access so that importing this module never starts a database by itself.
    if name == "defs":
        return build_definitions()
    raise AttributeError(name)
