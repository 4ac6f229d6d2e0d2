"""Training registers the chosen, evaluated model and moves `champion` only for a better one; scoring takes
each open enrollment at its latest grid day, with a band and the model's own reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from models.completion_risk import fit_risk, labelled_open, registry
from models.completion_risk.scoring import band_of, model_day_for, open_latest, score_open
from models.completion_risk.train import time_cutoff, train_completion_risk
from tests.models.completion_risk.helpers import FAST, cohorts, simulate

# Fewer rounds than FAST: this test holds the registry and the alias rule, not the accuracy.
QUICK = replace(FAST, max_iter=30)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    history = pd.concat(
        [simulate(240, 1, date(2025, 2, 1), prefix="a"), simulate(160, 2, date(2025, 10, 1), prefix="b")],
        ignore_index=True,
    )
    # A third run still under way: no outcome and no unregistration yet, so the daily scoring scores it all.
    current = simulate(120, 3, date(2026, 1, 5), prefix="c").assign(completed=None, is_unregistered=False)
    current = current.loc[current["day_k"] <= 30 + 30 * (current.index % 2)]
    return pd.concat([history, current], ignore_index=True)


def test_the_cutoff_leaves_the_latest_runs_a_quarter_of_the_labelled_enrollments() -> None:
    rows = cohorts()
    # 500 enrollments start 2025-02-01 and 300 on 2025-10-01: the later start holds 3/8 >= 1/4.
    assert time_cutoff(rows) == date(2025, 10, 1)
    with pytest.raises(ValueError, match="one day"):
        time_cutoff(rows.loc[rows["starts_on"] == rows["starts_on"].min()])


def test_training_registers_the_champion_then_keeps_it_against_a_worse_model(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = train_completion_risk(frame, tracking_uri=uri, params=QUICK, days=[30, 60])
    assert (first.model_version, first.alias, first.compared_with) == ("1", "champion", None)
    assert first.test_runs_from == date(2025, 10, 1)
    assert first.days == [30, 60]
    # The simulated engagement is learnable: well above the scores-only baseline at day 60.
    assert first.metrics["day_60_auc"] > 0.75
    assert first.metrics["day_60_auc"] > first.metrics["day_60_baseline_auc"]
    run = MlflowClient(tracking_uri=uri).get_run(first.run_id)
    assert run.data.params["test_runs_from"] == "2025-10-01"
    assert {"day_60_auc", "day_60_baseline_auc", "day_60_majority_brier", "mean_auc"} <= set(run.data.metrics)
    # A stump cannot beat the champion on the same split: it is registered as the challenger.
    stump = replace(FAST, max_iter=1, max_leaf_nodes=2, folds=1)
    second = train_completion_risk(frame, tracking_uri=uri, params=stump, days=[30, 60])
    assert (second.model_version, second.alias, second.compared_with) == ("2", "challenger", "1")
    assert second.metrics["champion_mean_auc"] > second.metrics["mean_auc"]
    assert registry.champion_version(tracking_uri=uri) == "1"
    loaded, version = registry.load_champion(tracking_uri=uri)
    assert version == "1"
    scored = score_open(loaded, frame)
    assert np.allclose(scored["probability"], score_open(first.model, frame)["probability"])


def test_scoring_takes_open_enrollments_at_their_latest_day_with_bands_and_reasons(
    frame: pd.DataFrame,
) -> None:
    fitted = fit_risk(labelled_open(frame), [14, 30], FAST)
    latest = open_latest(frame)
    assert sorted(latest["enrollment_id"]) == [f"c{index:05d}" for index in range(120)]
    scored = score_open(fitted, frame)
    assert len(scored) == len(latest)
    # Odd enrollments reached day 60, even ones day 30; day 60 has no model and takes day 30's.
    by_id = scored.set_index("enrollment_id")
    assert set(by_id.loc[by_id["day_k"] == 60, "model_day"]) == {30}
    assert scored["risk"].is_monotonic_decreasing
    assert np.allclose(scored["risk"], 1 - scored["probability"])
    assert list(scored["band"]) == list(band_of(scored["risk"].to_numpy()))
    high = scored.loc[scored["band"] == "high"]
    assert not high.empty and all(reasons for reasons in high["reasons"])
    first = high["reasons"].iloc[0][0]
    assert set(first) == {"feature", "value", "contribution", "text"} and first["contribution"] < 0


def test_bands_and_model_days() -> None:
    assert list(band_of(np.array([0.0, 0.34, 0.35, 0.59, 0.6, 1.0]))) == [
        "low", "low", "medium", "medium", "high", "high"
    ]  # fmt: skip
    assert list(model_day_for(np.array([7, 14, 20, 30, 250]), [14, 30])) == [14, 14, 14, 30, 30]
