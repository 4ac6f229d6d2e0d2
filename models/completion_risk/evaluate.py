"""The completion-risk protocol: split by cohort in time, fit on the earlier runs, score the later ones at
each grid day, next to the baselines, overall and per demographic group.

Train: enrollments whose course run started before the cutoff; test: runs that started on or after it.
At day k only enrollments still open at day k (not unregistered, not finished) with a known outcome count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from models.completion_risk.features import GROUPS, add_derived, scorable
from models.completion_risk.model import DEFAULT_PARAMS, MODEL_NAME, CompletionRiskModel, RiskParams, fit_risk

DEFAULT_DAYS = (30, 60, 100)
MIN_GROUP_SIZE = 30


def auc(labels: np.ndarray, predicted: np.ndarray) -> float | None:
    """Area under the ROC curve; None when the labels are all one class."""
    if len(np.unique(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, predicted)), 4)


def brier(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean squared error of probabilities against 0/1 outcomes."""
    return round(float(np.mean((np.asarray(predicted) - np.asarray(labels, dtype=np.float64)) ** 2)), 4)


def calibration_table(labels: np.ndarray, predicted: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Ten equal-width probability bins: each non-empty bin's rows, mean prediction and completion rate."""
    index = np.minimum((predicted * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        inside = index == b
        if inside.any():
            table.append(
                {
                    "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                    "n": int(inside.sum()),
                    "mean_predicted": round(float(predicted[inside].mean()), 4),
                    "observed": round(float(labels[inside].mean()), 4),
                }
            )
    return table


def _score_only(frame: pd.DataFrame) -> np.ndarray:
    score = frame["mean_score"].to_numpy(dtype=np.float64)
    return np.column_stack([np.nan_to_num(score, nan=0.0), np.isnan(score)])


def labelled_open(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows still open at their day with a known outcome, with the derived features."""
    rows = add_derived(scorable(frame))
    return rows.loc[rows["completed"].notna()].reset_index(drop=True)


def _groups(test: pd.DataFrame, labels: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group in GROUPS:
        if group not in test or test[group].isna().all():
            continue
        per_value: dict[str, Any] = {}
        for value, rows in test.groupby(group, dropna=False).indices.items():
            name = "unknown" if pd.isna(value) else str(value)
            if len(rows) < MIN_GROUP_SIZE:
                per_value[name] = {"n": int(len(rows))}
                continue
            per_value[name] = {
                "n": int(len(rows)),
                "auc": auc(labels[rows], predicted[rows]),
                "brier": brier(labels[rows], predicted[rows]),
                "mean_predicted": round(float(predicted[rows].mean()), 4),
                "observed": round(float(labels[rows].mean()), 4),
            }
        out[group] = dict(sorted(per_value.items()))
    return out


def evaluate_completion_risk(
    frame: pd.DataFrame,
    test_runs_from: date,
    days: Sequence[int] = DEFAULT_DAYS,
    params: RiskParams = DEFAULT_PARAMS,
    *,
    choose_on_training: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[dict[str, Any], CompletionRiskModel]:
    """Run the protocol on mart rows (``read_features``) and return the metrics and the fitted model.

    Returns ``{"day_<k>": {auc, brier, baseline_auc, n_test, …}, "by_group": {"day_<k>": {group: {value:
    {n, auc, brier, mean_predicted, observed}}}}, "model": name, "test_runs_from": date}``. Groups the data
    does not have (every value null) are left out; values with fewer than 30 test rows report ``n`` only.
    With ``choose_on_training``, pooling, folds and calibration are first chosen on a validation split of
    the training runs (``validate.choose_params``; its figures under ``"validation"``), then the chosen model
    is fitted on all training rows and scored once on the test runs.
    """
    days = sorted(set(days))
    present = set(frame["day_k"].unique())
    missing = [day_k for day_k in days if day_k not in present]
    if missing:
        raise ValueError(f"days {missing} are not on the feature grid (grid days: {sorted(present)})")
    cutoff = pd.Timestamp(test_runs_from)
    rows = labelled_open(frame)
    train = rows.loc[rows["starts_on"] < cutoff]
    test = rows.loc[(rows["starts_on"] >= cutoff) & rows["day_k"].isin(days)]
    if train.empty or test.empty:
        raise ValueError(
            f"the cutoff {test_runs_from} leaves {len(train)} training and {len(test)} test rows"
        )
    progress(f"{len(train):,} training rows, {len(test):,} test rows over days {days}")
    validation: dict[str, Any] | None = None
    if choose_on_training:
        # Imported here: validate uses this module's metrics.
        from models.completion_risk.validate import choose_params

        params, validation = choose_params(train, days, params, progress=progress)
        progress(f"chosen on training only: {validation['chosen']}")
    started = time.monotonic()
    model = fit_risk(train, days, params, progress=progress)
    progress(f"fitted in {time.monotonic() - started:.0f}s")

    metrics: dict[str, Any] = {}
    by_group: dict[str, Any] = {}
    for day_k in days:
        day_train = train.loc[train["day_k"] == day_k].reset_index(drop=True)
        day_test = test.loc[test["day_k"] == day_k].reset_index(drop=True)
        labels = day_test["completed"].astype(bool).to_numpy()
        train_labels = day_train["completed"].astype(bool).to_numpy()
        predicted = model.predict(day_test)
        uncalibrated = model.predict(day_test, calibrated=False)
        scores = LogisticRegression().fit(_score_only(day_train), train_labels)
        baseline = scores.predict_proba(_score_only(day_test))[:, 1]
        majority = np.full(len(labels), train_labels.mean())
        metrics[f"day_{day_k}"] = {
            "auc": auc(labels, predicted),
            "brier": brier(labels, predicted),
            "baseline_auc": auc(labels, baseline),
            "baseline_brier": brier(labels, baseline),
            "majority_auc": 0.5,
            "majority_brier": brier(labels, majority),
            "uncalibrated_auc": auc(labels, uncalibrated),
            "uncalibrated_brier": brier(labels, uncalibrated),
            "n_train": len(day_train),
            "n_test": len(day_test),
            "completion_rate": round(float(labels.mean()), 4) if len(labels) else None,
            "calibration": calibration_table(labels, predicted),
        }
        by_group[f"day_{day_k}"] = _groups(day_test, labels, predicted)
        day = metrics[f"day_{day_k}"]
        progress(f"day {day_k}: AUC {day['auc']} (scores only {day['baseline_auc']})")
    metrics["by_group"] = by_group
    metrics["model"] = MODEL_NAME
    metrics["params"] = {
        "max_leaf_nodes": params.max_leaf_nodes,
        "min_samples_leaf": params.min_samples_leaf,
        "pool_days": params.pool_days,
        "folds": params.folds,
        "calibration": params.calibration,
    }
    if validation is not None:
        metrics["validation"] = validation
    metrics["test_runs_from"] = test_runs_from.isoformat()
    return metrics, model
