"""The Definitions load and wire dbt models, their data tests and the recommender together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from dagster import AssetKey, BackfillPolicy
from dagster import DefaultScheduleStatus as Status
from dagster import DefaultSensorStatus as SensorStatus
from dagster_dbt import DbtCliResource

from pipelines.definitions import build_definitions
from pipelines.defs.analytics.assets import DAILY
from pipelines.defs.analytics.project import DBT_PROJECT, DBT_PROJECT_DIR, load_manifest, profile_for
from pipelines.defs.events.resources import EventLakeResource
from pipelines.defs.resources import MLflowResource, PostgresResource
from skillstudio.settings import Settings

SOURCES_YAML = DBT_PROJECT_DIR / "models" / "staging" / "skillstudio" / "_skillstudio__sources.yml"
EVENT_MAINTENANCE = {"learner_event_partitions", "learner_event_lake"}
RISK = {"completion_risk", "completion_risk_scores", "completion_risk_interventions"}


def test_definitions_hold_every_asset_and_dbt_check(shared_database: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=shared_database)
    definitions = build_definitions(settings)
    graph = definitions.resolve_asset_graph()
    manifest = load_manifest()
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    sources = {f"{source['source_name']}/{source['name']}" for source in manifest["sources"].values()}
    data_tests = {
        (manifest["nodes"][node["attached_node"]]["name"], node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    }

    # One asset per dbt model, the Python assets, and the API's tables as the models' upstream sources.
    every_key = {key.to_user_string() for key in graph.get_all_asset_keys()}
    materializable = {key.to_user_string() for key in graph.materializable_asset_keys}
    assert materializable == {
        *models,
        "course_recommender",
        "skill_mastery",
        *RISK,
        *EVENT_MAINTENANCE,
        "course_embeddings",
        "leaderboard_cache",  # issue 15: the leaderboards' serving copy
    }
    # (A source only macros read, such as learner_event_archive before a model uses the refresh window,
    # is no model's upstream.)
    read_by_models = {
        f"{manifest['sources'][unique_id]['source_name']}/{manifest['sources'][unique_id]['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for unique_id in node["depends_on"]["nodes"]
        if unique_id.startswith("source.")
    }
    assert every_key - materializable == read_by_models
    declared = yaml.safe_load(SOURCES_YAML.read_text())["sources"][0]["tables"]
    assert sources == {f"skillstudio/{table['name']}" for table in declared}
    assert {"skillstudio/learner_events", "skillstudio/users", "skillstudio/lessons"} <= sources
    # Every dbt data test is an asset check on the model it tests, beside the checks written in Python.
    assert {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys} == data_tests | {
        ("skillstudio/learner_events", "no_events_in_default_partition"),
        ("skillstudio/learner_events", "no_future_events"),
        ("skillstudio/learner_events", "learner_events_source_freshness"),
        ("fct_platform_daily", "platform_daily_reconciles_with_events"),
        ("fct_platform_daily", "platform_daily_is_fresh"),
        ("fct_learner_course_interactions", "interactions_reconcile_with_events"),
        ("fct_skill_responses", "skill_responses_reconcile_with_answers"),
        ("fct_leaderboards", "xp_ledger_sums_to_totals"),
    }
    # dbt's tests block what depends on their model (dagster-dbt marks them so); of ours, only the
    # reconciles that stand before training, and the XP ledger's before the leaderboards are served.
    blocking = {key.name for key in graph.asset_check_keys if graph.get_check_spec(key).blocking}
    assert blocking - {name for _, name in data_tests} == {
        "interactions_reconcile_with_events",
        "skill_responses_reconcile_with_answers",
        "xp_ledger_sums_to_totals",
    }
    # Every model has a data test, but a staging view whose table's guarantees are all the database's own
    # constraints (declared on the source and checked against the schema by tests/dbt/test_staging.py).
    untested = models - {model for model, _ in data_tests}
    constrained = {
        f"stg_skillstudio__{table['name']}" for table in declared if "constraints" in table.get("meta", {})
    }
    assert untested <= constrained
    assert any(name.startswith("unique_combination_of_columns") for _, name in data_tests)
    # Training waits for the interactions mart, so a failed dbt build never trains on stale features.
    assert graph.get(AssetKey("course_recommender")).parent_keys == {
        AssetKey("fct_learner_course_interactions")
    }
    assert graph.get(AssetKey("skill_mastery")).parent_keys == {AssetKey("fct_skill_responses")}

    # The dbt models are partitioned by UTC day, a backfill being one run; training is not partitioned.
    dbt_models = graph.get(AssetKey("fct_platform_daily"))
    assert dbt_models.partitions_def == DAILY and DAILY.timezone == "UTC"
    assert DAILY.get_first_partition_key() == "2012-01-01"
    assert DAILY.get_last_partition_key() == f"{datetime.now(UTC):%Y-%m-%d}"
    assert dbt_models.backfill_policy == BackfillPolicy.single_run()
    assert graph.get(AssetKey("course_recommender")).partitions_def is None

    # "Everything" is dbt and training; maintenance runs only on its own jobs.
    jobs = {
        name: {
            key.to_user_string() for key in definitions.resolve_job_def(name).asset_layer.selected_asset_keys
        }
        for name in (
            "refresh_everything",
            "refresh_analytics",
            "retrain_models",
            "score_completion_risk",
            "ensure_event_partitions",
            "archive_learner_events",
            "embed_courses",
        )
    }
    assert jobs == {
        "refresh_everything": {
            *models,
            "course_recommender",
            "skill_mastery",
            *RISK,
            "course_embeddings",
            "leaderboard_cache",
        },
        "refresh_analytics": {*models, "leaderboard_cache"},
        "retrain_models": {"course_recommender", "skill_mastery", "completion_risk"},
        "score_completion_risk": {"completion_risk_scores", "completion_risk_interventions"},
        "ensure_event_partitions": {"learner_event_partitions"},
        "archive_learner_events": {"learner_event_lake"},
        "embed_courses": {"course_embeddings"},
    }
    schedules = {
        schedule.name: (schedule.job_name, schedule.cron_schedule, schedule.default_status)
        for schedule in (definitions.schedules or [])
    }
    assert schedules == {
        "refresh_analytics_daily": ("refresh_analytics", "30 0 * * *", Status.RUNNING),
        "retrain_models_weekly": ("retrain_models", "0 3 * * 1", Status.RUNNING),
        "score_completion_risk_daily": ("score_completion_risk", "30 4 * * *", Status.RUNNING),
        "ensure_event_partitions_daily": ("ensure_event_partitions", "10 0 * * *", Status.RUNNING),
        "archive_learner_events_daily": ("archive_learner_events", "40 2 * * *", Status.RUNNING),
        "adjust_learning_paths_weekly": ("adjust_learning_paths", "0 4 * * 1", Status.RUNNING),
    }
    assert all(schedule.execution_timezone == "UTC" for schedule in definitions.schedules or [])
    sensors = {
        sensor.name: (sensor.job_name, sensor.default_status, sensor.minimum_interval_seconds)
        for sensor in (definitions.sensors or [])
    }
    assert sensors == {
        "new_learner_events": ("refresh_analytics", SensorStatus.RUNNING, 300),
        "changed_courses": ("embed_courses", SensorStatus.RUNNING, 60),
    }

    # Resources are bound to this settings' database, MLflow store and lake.
    resources = definitions.resources or {}
    assert set(resources) == {
        "postgres",
        "dbt",
        "mlflow",
        "event_lake",
        "learning_paths",
        "risk_interventions",
    }
    postgres, dbt, mlflow, lake = (resources[name] for name in ("postgres", "dbt", "mlflow", "event_lake"))
    assert isinstance(postgres, PostgresResource) and postgres.url == shared_database
    assert isinstance(mlflow, MLflowResource) and mlflow.tracking_uri == settings.tracking_uri
    assert isinstance(lake, EventLakeResource) and lake.local_path == str(settings.lake_dir)
    assert isinstance(dbt, DbtCliResource)
    assert (dbt.project_dir, dbt.profile, dbt.target) == (str(DBT_PROJECT_DIR), "skillstudio", "main")
    assert dbt.profiles_dir == str(settings.home_dir / "dbt") != str(DBT_PROJECT.profiles_dir)
    # The dbt profile points at the configured database.
    profile = json.loads((settings.home_dir / "dbt" / "profiles.yml").read_text())
    assert profile == profile_for(shared_database)
    assert profile["skillstudio"]["outputs"]["main"]["dbname"] == shared_database.split("/")[-1].split("?")[0]
