"""The mastery protocol: fit on training learners, predict every answer of disjoint test learners from
their earlier answers only (predict, then update), and score AUC and RMSE next to the baselines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from models.mastery.baselines import PerformanceFactors, SkillMean
from models.mastery.ensemble import MODEL_NAME, fit_ensemble
from models.mastery.features import history_features, prepare_responses
from models.mastery.model import DEFAULT_PARAMS, MasteryModel, MasteryParams

__all__ = ["MODEL_NAME", "auc", "evaluate_mastery", "rmse"]


def auc(correct: np.ndarray, predicted: np.ndarray) -> float:
    """Area under the ROC curve; NaN when the answers are all right or all wrong."""
    if len(np.unique(correct)) < 2:
        return float("nan")
    return float(roc_auc_score(correct, predicted))


def rmse(correct: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared error of probabilities against 0/1 answers."""
    return float(np.sqrt(np.mean((np.asarray(predicted) - np.asarray(correct)) ** 2)))


def evaluate_mastery(
    train: pd.DataFrame,
    test: pd.DataFrame,
    params: MasteryParams = DEFAULT_PARAMS,
    *,
    members: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[dict[str, float | int | str], MasteryModel]:
    """Run the protocol: the model and both baselines are fitted on ``train`` and scored on ``test``.

    Parameters
    ----------
    train, test : pandas.DataFrame
        Long-format responses of disjoint learners (``learner_id, seq, skill_id, correct``, optional
        ``item_id``). The model picks its epoch on a share of the *training* learners; ``test`` is only
        predicted.
    params : MasteryParams
        The model's hyper-parameters.
    members : int, optional
        Networks in the ensemble (``params.members`` when omitted); the combination is chosen on
        held-out training learners (see :func:`models.mastery.ensemble.fit_ensemble`).
    progress : callable, optional
        Receives progress lines.

    Returns
    -------
    metrics : dict
        ``auc``, ``rmse``, ``baseline_auc`` (per-skill mean), ``pfa_auc``, ``n_train`` and ``n_test``
        (answers) and ``model`` (its name).
    model : MasteryModel
        The model scored, exactly as it would be served online.
    """
    train, test = prepare_responses(train), prepare_responses(test)
    shared = set(train["learner_id"]).intersection(test["learner_id"])
    if shared:
        raise ValueError(f"train and test share {len(shared)} learners; the protocol needs disjoint learners")
    started = time.monotonic()
    model, name = fit_ensemble(
        train, params if members is None else replace(params, members=members), progress=progress
    )
    progress(f"models fitted in {time.monotonic() - started:.0f}s")
    predicted = model.predict_responses(test)

    train_history = history_features(train, model.vocabulary)
    test_history = history_features(test, model.vocabulary)
    n_skills = model.vocabulary.n_skills
    skill_mean = SkillMean.fit(train_history, n_skills).predict(test_history)
    progress("fitting the PFA baseline")
    pfa = PerformanceFactors.fit(train_history, n_skills).predict(test_history)
    correct = test_history.correct
    return {
        "auc": auc(correct, predicted),
        "rmse": rmse(correct, predicted),
        "baseline_auc": auc(correct, skill_mean),
        "pfa_auc": auc(correct, pfa),
        "n_train": len(train),
        "n_test": len(test),
        "model": name,
    }, model
