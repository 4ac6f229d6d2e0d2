"""Issue 14, point 2: system health reads a real Dagster instance and a real MLflow registry, and reports
what it cannot read as not available instead of failing the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.main.page_sources import system_health
from skillstudio.settings import Settings


def test_nothing_built_yet_is_not_available(session: Session, tmp_path: Path) -> None:
    health = system_health(Settings(home=tmp_path, database_url="postgresql://unused/x"), session)
    assert health.assets is None and health.failed_checks is None
    assert health.models == []
    assert any("No Dagster instance" in note for note in health.notes)
    quarantined = session.scalar(text("select count(*) from event_quarantine where resolved_at is null"))
    assert health.quarantined_statements == quarantined
    session.execute(
        text(
            "insert into event_quarantine (received_at, batch_index, payload, reasons) "
            'values (now(), 0, \'{}\'::jsonb, \'[{"field": "verb", "message": "unknown"}]\'::jsonb)'
        )
    )
    again = system_health(Settings(home=tmp_path, database_url="postgresql://unused/x"), session)
    assert again.quarantined_statements == quarantined + 1


def test_materializations_checks_and_champions_are_read(session: Session, tmp_path: Path) -> None:
    from dagster import AssetCheckEvaluation, AssetKey, AssetMaterialization, DagsterInstance
    from mlflow import MlflowClient

    settings = Settings(home=tmp_path, database_url="postgresql://unused/x")
    (settings.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = DagsterInstance.from_config(str(settings.dagster_home))
    instance.report_runless_asset_event(AssetMaterialization(asset_key="fct_platform_daily"))
    instance.report_runless_asset_event(
        AssetCheckEvaluation(
            asset_key=AssetKey("fct_platform_daily"),
            check_name="reconciles_with_events",
            passed=False,
            description="3 days differ",
        )
    )
    instance.dispose()

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
    experiment = client.create_experiment("health-test")
    run = client.create_run(experiment)
    for name, value in {"recall_at_10": 0.31, "baseline_recall_at_10": 0.22}.items():
        client.log_metric(run.info.run_id, name, value)
    client.set_terminated(run.info.run_id)
    client.create_registered_model("course_recommender")
    version = client.create_model_version(
        "course_recommender", f"runs:/{run.info.run_id}/model", run.info.run_id
    )
    client.set_registered_model_alias("course_recommender", "champion", version.version)

    health = system_health(settings, session)
    assert health.assets is not None and [asset.key for asset in health.assets] == ["fct_platform_daily"]
    assert health.assets[0].fresh is True
    assert health.failed_checks is not None
    [failed] = health.failed_checks
    assert (failed.asset_key, failed.check_name, failed.description) == (
        "fct_platform_daily",
        "reconciles_with_events",
        "3 days differ",
    )
    assert health.models is not None
    [model] = health.models
    assert model.champion_version == version.version
    assert model.champion_metrics == {"recall_at_10": pytest.approx(0.31)}
    assert model.baseline_metrics == {"recall_at_10": pytest.approx(0.22)}
    assert model.challenger_version is None
