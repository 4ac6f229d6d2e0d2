"""The design choices (pooling days, folds, calibration) are decided on the training runs only: a split
inside training, the candidates' validation figures, and the rule that picks from them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from models.completion_risk import labelled_open
from models.completion_risk.validate import choose_params, smaller_trees, validation_split
from tests.models.completion_risk.helpers import FAST, simulate


def test_one_start_date_holds_out_a_share_of_learners(train_rows: pd.DataFrame) -> None:
    fit, validation, how = validation_split(train_rows, seed=0)
    assert how == "20% of the learners validate"
    assert not set(fit["learner_id"]) & set(validation["learner_id"])
    share = validation["learner_id"].nunique() / train_rows["learner_id"].nunique()
    assert abs(share - 0.2) < 0.01
    assert len(fit) + len(validation) == len(train_rows)


def test_several_start_dates_validate_on_the_latest_runs() -> None:
    early = simulate(60, 3, date(2024, 2, 1), prefix="x")
    late = simulate(40, 4, date(2024, 10, 1), prefix="y")
    rows = labelled_open(pd.concat([early, late], ignore_index=True))
    fit, validation, how = validation_split(rows, seed=0)
    assert how == "runs starting 2024-10-01 validate"
    assert set(validation["enrollment_id"].str[0]) == {"y"} and set(fit["enrollment_id"].str[0]) == {"x"}


def test_the_choice_comes_from_the_validation_figures(train_rows: pd.DataFrame) -> None:
    chosen, report = choose_params(train_rows, [30, 60], FAST)
    # Both tree sizes on day k's rows with the full folds, then the other three tree settings at the chosen
    # size, each under both calibrations.
    assert len(report["candidates"]) == 10
    assert report["chosen"] == {
        "max_leaf_nodes": chosen.max_leaf_nodes,
        "min_samples_leaf": chosen.min_samples_leaf,
        "pool_days": chosen.pool_days,
        "folds": chosen.folds,
        "calibration": chosen.calibration,
    }
    assert chosen.folds in (1, FAST.folds)
    small = smaller_trees(FAST)
    assert (chosen.max_leaf_nodes, chosen.min_samples_leaf) in {(15, 20), (7, 40)}
    assert (small.max_leaf_nodes, small.min_samples_leaf) == (7, 40)
    larger = report["candidates"][f"leaves15-day_only-folds{FAST.folds}-platt"]["mean_auc"]
    smaller = report["candidates"][f"leaves7-day_only-folds{FAST.folds}-platt"]["mean_auc"]
    assert (chosen.max_leaf_nodes == 15) == (larger - smaller >= 0.001)
    assert report["n_fit"] + report["n_validation"] == len(train_rows)
    for figures in report["candidates"].values():
        assert 0.7 < figures["mean_auc"] <= 1.0 and 0.0 < figures["mean_brier"] < 0.25
    # Platt is monotone per member: one model's AUC is the same calibrated by Platt or not, so the tree
    # choices are compared on ranking alone.
    name = f"leaves{chosen.max_leaf_nodes}-{'pooled' if chosen.pool_days else 'day_only'}-folds{chosen.folds}"
    platt, isotonic = report["candidates"][f"{name}-platt"], report["candidates"][f"{name}-isotonic"]
    picked = isotonic if chosen.calibration == "isotonic" else platt
    other = platt if chosen.calibration == "isotonic" else isotonic
    assert picked["mean_brier"] <= other["mean_brier"] + 0.001
    assert np.isfinite(picked["mean_auc"])
    # The other parameters pass through unchanged.
    assert (
        replace(
            chosen,
            max_leaf_nodes=FAST.max_leaf_nodes,
            min_samples_leaf=FAST.min_samples_leaf,
            pool_days=FAST.pool_days,
            folds=FAST.folds,
            calibration=FAST.calibration,
        )
        == FAST
    )
