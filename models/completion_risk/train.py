"""Train the completion-risk model: choose its design and evaluate it on a time split of the course runs next
to the baselines and the current champion, refit on every labelled run, register, set the alias.

The model, features and metrics are pure (``model``, ``features``, ``evaluate``, ``validate``); everything
MLflow does goes through ``registry``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.completion_risk import registry
from models.completion_risk.agreement import truth_agreement
from models.completion_risk.evaluate import auc, evaluate_completion_risk, labelled_open
from models.completion_risk.model import DEFAULT_PARAMS, MODEL_NAME, CompletionRiskModel, RiskParams, fit_risk
from models.completion_risk.scoring import model_day_for

TEST_SHARE = 0.25
EVALUATION_PROTOCOL = (
    "time split by course run start (the latest runs holding about a quarter of the labelled enrollments "
    "test); pooling, folds and calibration chosen on the earlier runs only; AUC and Brier per grid day on "
    "enrollments still open at that day, next to the majority class and a logistic regression on the mean "
    "score; the current champion scored on the same test rows"
)


class NotEnoughHistory(ValueError):
    """The database does not hold the finished course runs a time split needs (yet)."""


@dataclass
class TrainingResult:
    """Outcome of one training run and where its model landed in the registry.

    ``metrics`` holds the new model's and the baselines' figures per day (``day_<k>_auc``, ...), their
    means over the evaluated days, and ``champion_mean_auc`` when a champion was scored on the same split;
    ``evaluation`` is the full protocol output (calibration tables, per-group figures).
    """

    run_id: str
    model_version: str
    alias: str
    metrics: dict[str, float]
    days: list[int]
    test_runs_from: date
    model: CompletionRiskModel
    evaluation: dict[str, Any]
    compared_with: str | None = None


def time_cutoff(rows: pd.DataFrame, test_share: float = TEST_SHARE) -> date:
    """The run start date from which runs test: the latest start such that at least ``test_share`` of the
    labelled enrollments start on or after it, while some start before it."""
    starts = rows.drop_duplicates("enrollment_id")["starts_on"].sort_values().to_numpy()
    distinct = np.unique(starts)
    if len(distinct) < 2:
        raise ValueError(
            "every labelled enrollment started on one day: there is no time split to evaluate on"
        )
    position = min(int(len(starts) * (1 - test_share)), len(starts) - 1)
    cutoff = starts[position]
    if cutoff <= distinct[0]:
        cutoff = distinct[1]
    return pd.Timestamp(cutoff).date()


def trainable_days(rows: pd.DataFrame, cutoff: date, grid: Sequence[int]) -> list[int]:
    """Grid days with both outcomes among the training runs' and the test runs' open enrollments."""
    before = rows["starts_on"] < pd.Timestamp(cutoff)
    days = []
    for day_k in sorted(set(grid)):
        at_day = rows["day_k"] == day_k
        train, test = rows.loc[at_day & before, "completed"], rows.loc[at_day & ~before, "completed"]
        if train.nunique() == 2 and test.nunique() == 2:
            days.append(int(day_k))
    return days


def data_fingerprint(frame: pd.DataFrame) -> str:
    key = frame[["enrollment_id", "day_k"]].astype(str).sort_values(["enrollment_id", "day_k"])
    return hashlib.sha256(pd.util.hash_pandas_object(key, index=False).values.tobytes()).hexdigest()[:16]


def _champion_mean_auc(model: CompletionRiskModel, test: pd.DataFrame, days: list[int]) -> float:
    figures = []
    for day_k in days:
        rows = test.loc[test["day_k"] == day_k].reset_index(drop=True)
        scored = rows.assign(day_k=model_day_for(rows["day_k"].to_numpy(), sorted(model.days)))
        value = auc(rows["completed"].astype(bool).to_numpy(), model.predict(scored))
        if value is not None:
            figures.append(value)
    return float(np.mean(figures)) if figures else float("nan")


def _flat(evaluation: dict[str, Any], days: list[int]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    names = ("auc", "brier", "baseline_auc", "baseline_brier", "majority_brier", "n_test")
    for day_k in days:
        for name in names:
            value = evaluation[f"day_{day_k}"][name]
            if value is not None:
                metrics[f"day_{day_k}_{name}"] = float(value)
    for name in ("auc", "brier", "baseline_auc"):
        values = [metrics[f"day_{k}_{name}"] for k in days if f"day_{k}_{name}" in metrics]
        metrics[f"mean_{name}"] = round(float(np.mean(values)), 4) if values else float("nan")
    return metrics


def train_completion_risk(
    frame: pd.DataFrame,
    *,
    tracking_uri: str,
    registry_name: str = registry.DEFAULT_REGISTRY_NAME,
    params: RiskParams = DEFAULT_PARAMS,
    test_runs_from: date | None = None,
    days: Sequence[int] | None = None,
    experiment_name: str = "completion_risk",
    truth: tuple[pd.DataFrame, pd.Timestamp] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> TrainingResult:
    """Evaluate on a time split next to the baselines and the champion, refit on all labelled runs,
    register, set the alias.

    Parameters
    ----------
    frame : pandas.DataFrame
        The mart's rows (:func:`models.completion_risk.features.read_features`) of every grid day.
    tracking_uri : str
        MLflow tracking and registry URI.
    params : RiskParams
        Starting parameters; pooling, folds and calibration are chosen on the training runs
        (:func:`models.completion_risk.validate.choose_params`, through the evaluation) and the chosen
        ones fit the served model.
    days : sequence of int, optional
        Grid days to train models for; by default every grid day. Days without both outcomes on both
        sides of the split are left out (their enrollments are scored by the nearest earlier day's model).
    test_runs_from : datetime.date, optional
        First start day of the test runs; by default :func:`time_cutoff`.
    truth : (pandas.DataFrame, pandas.Timestamp), optional
        On generated data, the generator's dropouts and last day (``features.read_truth_dropouts``): the
        evaluated model's AUC against them on the test runs is logged too (``truth_day_<k>_auc``,
        ``truth_day_<k>_n``; :mod:`models.completion_risk.agreement`).

    Returns
    -------
    TrainingResult
        The new version becomes ``champion`` when there is none, or when its mean AUC over the evaluated
        days beats the current champion's on the same test rows; ``challenger`` otherwise.
    """
    rows = labelled_open(frame)
    if rows.empty:
        raise NotEnoughHistory("no enrollment with a known outcome yet: nothing to learn completion from")
    cutoff = test_runs_from or time_cutoff(rows)
    days = trainable_days(rows, cutoff, sorted(rows["day_k"].unique()) if days is None else days)
    if not days:
        raise NotEnoughHistory(f"no grid day has both outcomes before and after {cutoff}: cannot evaluate")
    progress(f"test runs from {cutoff}, days {days}")
    try:
        evaluation, evaluated = evaluate_completion_risk(frame, cutoff, days, params, progress=progress)
    except ValueError as error:
        # Too few finished runs for the validation split inside training to hold both outcomes.
        raise NotEnoughHistory(str(error)) from error
    chosen = RiskParams(**{**asdict(params), **evaluation["params"]})
    metrics = _flat(evaluation, days)
    if truth is not None:
        figures = truth_agreement(evaluated, frame, truth[0], truth[1], days, test_runs_from=cutoff)
        evaluation["truth"] = figures
        for day_k in days:
            figure = figures[f"day_{day_k}"]
            metrics[f"truth_day_{day_k}_n"] = float(figure["n"])
            if figure["auc"] is not None:
                metrics[f"truth_day_{day_k}_auc"] = float(figure["auc"])

    champion = registry.champion_version(tracking_uri=tracking_uri, registry_name=registry_name)
    if champion is not None:
        model = registry.load_version(
            tracking_uri=tracking_uri, registry_name=registry_name, version=champion
        )
        test = rows.loc[(rows["starts_on"] >= pd.Timestamp(cutoff)) & rows["day_k"].isin(days)]
        metrics["champion_mean_auc"] = round(_champion_mean_auc(model, test, days), 4)

    # The served model learns from every labelled run, the test runs included: they are the freshest.
    served = fit_risk(rows, days, chosen, progress=progress)
    tags = {
        "data_fingerprint": data_fingerprint(frame),
        "evaluation_protocol": EVALUATION_PROTOCOL,
        "model": MODEL_NAME,
    }
    if champion is not None:
        tags["compared_with_version"] = champion
    run_id, version = registry.log_and_register(
        served,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        experiment_name=experiment_name,
        params={
            **asdict(chosen),
            "days": ",".join(str(day_k) for day_k in days),
            "test_runs_from": cutoff.isoformat(),
            "n_labelled_rows": len(rows),
        },
        metrics=metrics,
        tags=tags,
    )
    # Strictly better: a tie keeps the champion, and so does a NaN (no day the champion could be scored on).
    promoted = champion is None or metrics["mean_auc"] > metrics["champion_mean_auc"]
    alias = "champion" if promoted else "challenger"
    registry.set_alias(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias, version=version)
    return TrainingResult(
        run_id=run_id,
        model_version=version,
        alias=alias,
        metrics=metrics,
        days=days,
        test_runs_from=cutoff,
        model=served,
        evaluation=evaluation,
        compared_with=champion,
    )
