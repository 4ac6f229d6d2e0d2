"""The model's design choices decided on the training cohorts only.

Four choices are open: the size of the trees (the given ``max_leaf_nodes`` and ``min_samples_leaf``, or
half the leaves holding twice the rows), day k's model also learning from the earlier grid days
(``pool_days``), averaging five cross-fitted members or one model with a held-out fifth (``folds``), and
Platt or isotonic calibration (``calibration``). Each is decided here on a validation split *inside* the
training runs, with the protocol's metrics, so that the test runs are scored once, by the chosen model, and
never compared.

Validation split: when the training runs started on several dates, the runs that started last validate and
the earlier ones fit (the test split's shape, in small); when they all started together, a share of the
training *learners* validates (grouped by learner, so one person's enrollments never straddle the split).

Decision rule, fixed before any figure was seen: the tree choices (pooling, folds) by the mean validation
AUC over the days, calibration by the mean validation Brier score (what calibration is for); a difference
under ``TIE`` keeps the cheaper option (day k's rows only, one model, Platt's two parameters). The tree
size, added later, is decided first and the same way (the smaller trees unless the larger win by ``TIE``),
on day k's rows with the full folds; the other tree choices are then compared at the chosen size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from models.completion_risk.evaluate import auc, brier
from models.completion_risk.features import nothing_due
from models.completion_risk.model import CompletionRiskModel, RiskParams, fit_risk

VALIDATION_SHARE = 0.2
TIE = 0.001


def smaller_trees(params: RiskParams) -> RiskParams:
    """The smaller-trees candidate: half the leaves, each holding twice the training rows."""
    return replace(
        params,
        max_leaf_nodes=max(2, params.max_leaf_nodes // 2),
        min_samples_leaf=params.min_samples_leaf * 2,
    )


def _size(params: RiskParams) -> str:
    return f"leaves{params.max_leaf_nodes}"


def chosen_params(params: RiskParams) -> dict[str, Any]:
    """The parameters the validation chooses, as reported (``evaluate`` reports the same)."""
    return {
        "max_leaf_nodes": params.max_leaf_nodes,
        "min_samples_leaf": params.min_samples_leaf,
        "pool_days": params.pool_days,
        "folds": params.folds,
        "calibration": params.calibration,
    }


def validation_split(train: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(fit rows, validation rows, how they were split) from labelled training rows."""
    starts = np.sort(train["starts_on"].unique())
    if len(starts) > 1:
        late = train["starts_on"] == starts[-1]
        return train.loc[~late], train.loc[late], f"runs starting {pd.Timestamp(starts[-1]).date()} validate"
    learners = np.sort(train["learner_id"].unique())
    rng = np.random.default_rng(seed)
    held = set(rng.choice(learners, size=max(1, round(len(learners) * VALIDATION_SHARE)), replace=False))
    late = train["learner_id"].isin(held)
    return train.loc[~late], train.loc[late], f"{VALIDATION_SHARE:.0%} of the learners validate"


def _score(model: CompletionRiskModel, rows: pd.DataFrame, days: Sequence[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for day_k in days:
        day_rows = rows.loc[rows["day_k"] == day_k].reset_index(drop=True)
        labels = day_rows["completed"].astype(bool).to_numpy()
        predicted = model.predict(day_rows)
        out[f"day_{day_k}"] = {"auc": auc(labels, predicted), "brier": brier(labels, predicted)}
    values = [figures for figures in out.values()]
    out["mean_auc"] = round(float(np.mean([v["auc"] for v in values if v["auc"] is not None])), 4)
    out["mean_brier"] = round(float(np.mean([v["brier"] for v in values])), 4)
    return out


def _recalibrated(model: CompletionRiskModel, method: str) -> CompletionRiskModel:
    days = {day_k: day.recalibrated(method) for day_k, day in model.days.items()}
    unassessed = None
    if model.unassessed is not None:
        unassessed = {day_k: day.recalibrated(method) for day_k, day in model.unassessed.items()}
    return CompletionRiskModel(
        params=replace(model.params, calibration=method), days=days, unassessed=unassessed
    )


def choose_params(
    train: pd.DataFrame,
    days: Sequence[int],
    params: RiskParams,
    *,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[RiskParams, dict[str, Any]]:
    """The parameters the training-only validation chooses, and its figures.

    ``train``: labelled, still-open training rows (``labelled_open`` of the runs before the cutoff). Returns
    the chosen ``RiskParams`` and ``{"split", "n_fit", "n_validation", "candidates": {name: {day_<k>:
    {auc, brier}, mean_auc, mean_brier}}, "chosen": {pool_days, folds, calibration}}``.
    """
    days = sorted(set(days))
    fit_rows, validation, how = validation_split(train, params.seed)
    progress(f"validation inside training: {how} ({len(fit_rows):,} fit rows, {len(validation):,} validate)")
    candidates: dict[str, Any] = {}
    small = smaller_trees(params)
    # The twins without assessment features score only validation rows with nothing due yet: without such
    # rows they would change no figure, so they are not fitted.
    unassessed = bool(nothing_due(validation.loc[validation["day_k"].isin(days)]).any())

    def fit_and_score(trees: RiskParams, pool_days: bool, folds: int) -> None:
        model = fit_risk(
            fit_rows,
            days,
            replace(trees, pool_days=pool_days, folds=folds, calibration="platt"),
            unassessed=unassessed,
        )
        for method in ("platt", "isotonic"):
            name = f"{_size(trees)}-{'pooled' if pool_days else 'day_only'}-folds{folds}-{method}"
            candidates[name] = _score(_recalibrated(model, method), validation, days)
            progress(
                f"{name}: mean AUC {candidates[name]['mean_auc']}, Brier {candidates[name]['mean_brier']}"
            )

    # The size of the trees first, on day k's rows with the full folds: the smaller trees (cheaper, and less
    # fitted to the training runs' own courses) unless the larger ones win by TIE.
    for trees in (params, small):
        fit_and_score(trees, False, params.folds)
    larger = (
        candidates[f"{_size(params)}-day_only-folds{params.folds}-platt"]["mean_auc"]
        - candidates[f"{_size(small)}-day_only-folds{params.folds}-platt"]["mean_auc"]
        >= TIE
    )
    sized = params if larger else small
    for pool_days in (False, True):
        for folds in (1, params.folds):
            if (pool_days, folds) != (False, params.folds):
                fit_and_score(sized, pool_days, folds)

    def figure(pool: bool, folds: int, method: str, metric: str) -> float:
        value = candidates[f"{_size(sized)}-{'pooled' if pool else 'day_only'}-folds{folds}-{method}"][metric]
        return float(value)

    # Tree choices by AUC under Platt (monotone: it never changes a member's ranking): pooling with the full
    # folds, then the folds with the chosen pooling; then calibration by Brier on the chosen trees.
    pool = (
        figure(True, params.folds, "platt", "mean_auc") - figure(False, params.folds, "platt", "mean_auc")
        >= TIE
    )
    many = figure(pool, params.folds, "platt", "mean_auc") - figure(pool, 1, "platt", "mean_auc") >= TIE
    folds = params.folds if many else 1
    isotonic = (
        figure(pool, folds, "platt", "mean_brier") - figure(pool, folds, "isotonic", "mean_brier") >= TIE
    )
    chosen = replace(sized, pool_days=pool, folds=folds, calibration="isotonic" if isotonic else "platt")
    report = {
        "split": how,
        "n_fit": len(fit_rows),
        "n_validation": len(validation),
        "candidates": candidates,
        "chosen": chosen_params(chosen),
    }
    return chosen, report
