"""The protocol and its command: earlier runs train, later runs are scored at each day, next to baselines
and per group; the command reads the current database and prints one JSON line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pandas as pd
import psycopg
import pytest
from typer.testing import CliRunner

from models.completion_risk import evaluate_completion_risk
from models.completion_risk.features import MART_FEATURES
from skillstudio.db import libpq_url
from skillstudio.main.cli import app
from skillstudio.settings import get_settings
from tests.models.completion_risk.helpers import FAST, cohorts

DAY_KEYS = {
    "auc", "brier", "baseline_auc", "baseline_brier", "majority_auc", "majority_brier", "uncalibrated_auc",
    "uncalibrated_brier", "n_train", "n_test", "completion_rate", "calibration",
}  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return cohorts()


def test_the_protocol_scores_later_runs_against_the_baselines(frame: pd.DataFrame) -> None:
    metrics, _ = evaluate_completion_risk(frame, date(2025, 6, 1), [30, 60], FAST)
    assert set(metrics) == {"day_30", "day_60", "by_group", "model", "params", "test_runs_from", "validation"}
    # The choices were made on training learners only, and the test was scored by the chosen model.
    assert metrics["validation"]["split"] == "20% of the learners validate"
    assert metrics["params"] == metrics["validation"]["chosen"]
    for day_k in (30, 60):
        day = metrics[f"day_{day_k}"]
        assert set(day) == DAY_KEYS
        test = frame.loc[(frame["starts_on"] >= "2025-06-01") & (frame["day_k"] == day_k)]
        assert day["n_test"] == (~test["is_unregistered"]).sum() < len(test)
        assert day["auc"] > day["baseline_auc"] - 0.05 and day["auc"] > 0.75
        assert day["brier"] < day["majority_brier"]
        assert sum(row["n"] for row in day["calibration"]) == day["n_test"]
    groups = metrics["by_group"]["day_60"]
    # No disability in this data: left out. Missing IMD bands form their own group.
    assert set(groups) == {"imd_band", "age_band", "gender"}
    assert set(groups["imd_band"]) == {"0-10%", "10-20%", "unknown"}
    assert sum(value["n"] for value in groups["gender"].values()) == metrics["day_60"]["n_test"]


def test_days_off_the_grid_and_empty_splits_are_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not on the feature grid"):
        evaluate_completion_risk(frame, date(2025, 6, 1), [45], FAST)
    with pytest.raises(ValueError, match="leaves"):
        evaluate_completion_risk(frame, date(2030, 1, 1), [30], FAST)


def _write_mart(url: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(f"{name} double precision" for name in MART_FEATURES)
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("create schema if not exists analytics")
        conn.execute(
            "create table analytics.fct_enrollment_features (enrollment_id text, learner_id text,"
            f" course_id text, course_run_id text, day_k integer, as_of_date date, {columns},"
            " is_unregistered boolean, is_finished boolean, has_activity_data boolean, completed boolean)"
        )
        conn.execute(
            "create table analytics.dim_learners (learner_id text, imd_band text, age_band text, gender text,"
            " has_disability boolean)"
        )
        names = [
            "enrollment_id", "learner_id", "cohort_id", "cohort_id", "day_k", "as_of_date", *MART_FEATURES,
            "is_unregistered", "is_finished", "has_activity_data", "completed",
        ]  # fmt: skip
        values = frame[names].astype(object).where(frame[names].notna(), None).itertuples(index=False)
        conn.cursor().executemany(
            f"insert into analytics.fct_enrollment_features values ({', '.join(['%s'] * len(names))})",
            [tuple(row) for row in values],
        )
        learners = frame.drop_duplicates("learner_id")
        conn.cursor().executemany(
            "insert into analytics.dim_learners values (%s, %s, %s, %s, null)",
            list(
                learners[["learner_id", "imd_band", "age_band", "gender"]].itertuples(index=False, name=None)
            ),
        )


@pytest.fixture
def database_env(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_the_command_prints_one_json_line_from_the_database(frame: pd.DataFrame, database_env: str) -> None:
    _write_mart(database_env, frame)
    arguments = ["models", "evaluate", "completion-risk", "--test-runs-from", "2025-06-01", "--days", "30,60"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert set(metrics) == {"day_30", "day_60", "by_group", "model", "params", "test_runs_from", "validation"}
    assert set(metrics["day_60"]) == DAY_KEYS
    assert metrics["model"] == "hgb-crossfit-path-contributions"
    # The command's defaults fit more rounds than the tests' fast settings, on the same protocol.
    assert metrics["day_60"]["auc"] > 0.75
    assert (
        metrics["day_60"]["n_test"]
        == evaluate_completion_risk(frame, date(2025, 6, 1), [60], FAST, choose_on_training=False)[0][
            "day_60"
        ]["n_test"]
    )


def test_the_command_says_when_the_mart_is_missing(database_env: str) -> None:
    result = CliRunner().invoke(
        app, ["models", "evaluate", "completion-risk", "--test-runs-from", "2025-06-01"]
    )
    assert result.exit_code == 1
    assert "fct_enrollment_features is missing" in result.output
