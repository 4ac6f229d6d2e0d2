"""The completion risk against the synthetic generator's hidden dropouts: the definition on hand-made rows,
then a floor on a generated history run through the real dbt features and a model trained at test size."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from models.completion_risk import (
    dropout_auc,
    fit_risk,
    labelled_open,
    read_features,
    read_truth_dropouts,
    truth_agreement,
    truth_rows,
)
from models.completion_risk.agreement import dropped_after_day
from models.completion_risk.train import train_completion_risk
from skillstudio.db import libpq_url
from skillstudio.main.cli import app
from skillstudio.settings import get_settings
from skillstudio.sources.synthetic import GeneratorConfig, generate
from tests.models.completion_risk.helpers import FAST
from tests.warehouses import dbt_build

# Bigger and longer than the shared ``generated_warehouse`` (240 learners over 45 days): there, day 7 has
# 142 rows and 28 later dropouts, and models fitted on three quarters of the learners (~280 labelled
# enrollments) score 0.46-0.58 on the other quarter (measured over seeds): too few to learn from, so no
# floor could hold there.
HISTORY = GeneratorConfig(
    learners=600, courses=40, days=120, seed=11, end_date=date(2026, 8, 31), batch_learners=600
)


@pytest.fixture(scope="module")
def history(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_factory()
    with psycopg.connect(libpq_url(url)) as conn:
        generate(conn, HISTORY)
    dbt_build(
        url,
        tmp_path_factory.mktemp("dbt-dropouts"),
        "--select",
        "+fct_enrollment_features +dim_learners",
        "--exclude",
        "resource_type:test resource_type:unit_test",
    )
    return url


def test_the_definition_counts_later_dropouts_among_enrollments_in_progress() -> None:
    starts = pd.Timestamp("2026-03-01")
    rows = pd.DataFrame(
        {
            "enrollment_id": ["later", "same-day", "before", "never", "past-the-end"],
            "day_k": [7, 7, 7, 7, 30],
            "starts_on": [starts] * 4 + [pd.Timestamp("2026-03-20")],
        }
    )
    dropouts = pd.DataFrame(
        {
            "enrollment_id": ["later", "same-day", "before", "past-the-end"],
            "dropped_on": pd.to_datetime(["2026-03-09", "2026-03-08", "2026-03-05", "2026-04-30"]),
        }
    )
    # Day 7 of a run starting on March 1st is March 8th; the history's last day is April 10th.
    out = dropped_after_day(rows, dropouts, pd.Timestamp("2026-04-10"))
    assert dict(zip(out["enrollment_id"], out["dropped_after"], strict=True)) == {
        "later": True,
        "never": False,
    }
    assert dropout_auc(np.array([0.9, 0.1]), out["dropped_after"].to_numpy()) == {
        "auc": 1.0, "n": 2, "dropouts": 1
    }  # fmt: skip
    assert dropout_auc(np.array([0.2]), np.array([False]))["auc"] is None


def test_the_risk_ranks_the_generators_later_dropouts_first(history: str) -> None:
    with psycopg.connect(libpq_url(history)) as conn:
        frame = read_features(conn, 14)
        truth = read_truth_dropouts(conn)
    assert truth is not None
    dropouts, last_day = truth
    assert last_day == pd.Timestamp(HISTORY.end_date)
    # Half the learners train, the other half's enrollments are scored.
    learners = np.sort(frame["learner_id"].unique())
    training = set(learners[np.random.default_rng(0).permutation(len(learners)) % 2 == 0])
    train = labelled_open(frame.loc[frame["learner_id"].isin(training)])
    model = fit_risk(train, [7, 14], FAST)
    held_out = set(frame.loc[~frame["learner_id"].isin(training), "enrollment_id"])
    figures = truth_agreement(model, frame, dropouts, last_day, [7, 14], enrollments=held_out)
    # Measured: day 7 AUC 0.754 on 243 rows with 58 later dropouts, day 14 0.719 on 74 rows (26); over six
    # other splits of the learners 0.74-0.81 at day 7 and 0.68-0.80 at day 14. On the bigger history of
    # docs/completion_risk.md (4,000 learners, 180 days, time split): 0.73 / 0.72 / 0.73 at days 7 / 14 / 30.
    assert figures["day_7"]["auc"] >= 0.65 and figures["day_7"]["dropouts"] >= 30
    assert figures["day_14"]["auc"] >= 0.6 and figures["day_14"]["dropouts"] >= 15
    # The same rows with the risk shuffled: the floors are far above what no knowledge scores.
    rows = truth_rows(frame, dropouts, last_day, [7])
    rows = rows.loc[rows["enrollment_id"].isin(held_out)].reset_index(drop=True)
    assert (figures["day_7"]["n"], figures["day_7"]["dropouts"]) == (len(rows), rows["dropped_after"].sum())
    risk, labels = 1.0 - model.predict(rows), rows["dropped_after"].to_numpy()
    assert dropout_auc(risk, labels)["auc"] == figures["day_7"]["auc"]
    rng = np.random.default_rng(1)
    shuffled = [dropout_auc(rng.permutation(risk), labels)["auc"] for _ in range(50)]
    assert abs(float(np.mean(shuffled)) - 0.5) < 0.03 and max(shuffled) < 0.65
    # The completion probability itself (risk reversed) ranks them backwards.
    assert dropout_auc(1.0 - risk, labels)["auc"] == pytest.approx(1.0 - figures["day_7"]["auc"], abs=1e-3)


@pytest.fixture
def history_env(history: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", history)
    get_settings.cache_clear()
    yield history
    get_settings.cache_clear()


def test_the_command_and_the_training_add_the_truth_on_generated_data(
    history_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The command's own settings, at the tests' size (the command reads them when it runs).
    monkeypatch.setattr("models.completion_risk.DEFAULT_PARAMS", FAST)
    arguments = ["models", "evaluate", "completion-risk", "--test-runs-from", "2026-07-20", "--days", "7"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(metrics) == {
        "day_7", "by_group", "model", "params", "test_runs_from", "validation", "truth"
    }  # fmt: skip
    assert set(metrics["truth"]) == {"day_7"}
    truth = metrics["truth"]["day_7"]
    assert set(truth) == {"auc", "n", "dropouts"}
    # Measured on the test runs only (enrollments starting on or after 2026-07-20).
    assert 0 < truth["dropouts"] < truth["n"] and 0.0 <= truth["auc"] <= 1.0
    # Training logs the same figure to MLflow: same settings, same split, same model.
    with psycopg.connect(libpq_url(history_env)) as conn:
        frame = read_features(conn, 7)
        dropouts = read_truth_dropouts(conn)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = train_completion_risk(
        frame, tracking_uri=uri, params=FAST, days=[7], test_runs_from=date(2026, 7, 20), truth=dropouts
    )
    assert result.evaluation["truth"] == metrics["truth"]
    logged = MlflowClient(uri).get_run(result.run_id).data.metrics
    assert (logged["truth_day_7_auc"], logged["truth_day_7_n"]) == (truth["auc"], truth["n"])


def test_a_database_without_a_generation_has_no_truth(fresh_database: str) -> None:
    # Every migrated database has the truth schema (an OULAD import, the learning API's own data); without
    # a generation its dropouts are empty, and the evaluation must not score against them.
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        assert read_truth_dropouts(conn) is None
