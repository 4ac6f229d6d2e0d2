"""The Definitions load and wire dbt models, their data tests and the recommender together."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey

from pipelines.definitions import build_definitions
from skillstudio.settings import Settings


def test_definitions_hold_every_asset_and_dbt_check(shared_database: str, tmp_path: Path) -> None:
    definitions = build_definitions(Settings(home=tmp_path, database_url=shared_database))
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "stg_skillstudio__learner_events",
        "fct_platform_daily",
        "fct_learner_course_interactions",
        "course_recommender",
    } <= keys
    # Training waits for the interactions mart, so a failed dbt build never trains on stale features.
    assert (
        AssetKey("fct_learner_course_interactions") in graph.get(AssetKey("course_recommender")).parent_keys
    )
    checks = {key.name for key in graph.asset_check_keys}
    assert any(name.startswith("unique_combination_of_columns") for name in checks)
    assert definitions.resolve_job_def("refresh_everything") is not None
    # The dbt profile points at the configured database.
    assert shared_database.split("/")[-1].split("?")[0] in (tmp_path / "dbt" / "profiles.yml").read_text()
