"""The mastery protocol: fit on training learners, predict every answer of disjoint test learners from
their earlier answers only (predict, then update), and score AUC and RMSE next to the baselines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from models.mastery.baselines import PerformanceFactors, SkillMean, WindowedLogistic
from models.mastery.features import history_features, learner_split, prepare_responses
from models.mastery.model import DEFAULT_PARAMS, MasteryModel, MasteryParams, fit_mastery

MODEL_NAME = "gru-counts"
# Networks averaged by the ensemble: seeds params.seed, +1, ... sharing one validation split.
ENSEMBLE_MEMBERS = 3


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _ensemble(
    train: pd.DataFrame,
    test: pd.DataFrame,
    params: MasteryParams,
    members: int,
    progress: Callable[[str], None],
) -> tuple[np.ndarray, str, MasteryModel]:
    """Fit ``members`` networks (one split, different seeds) and Best-LR on the fitting learners, then
    pick, on the held-out *training* learners only, among: one network, the logit mean of the
    networks, and a logistic stack of that mean with Best-LR (its two weights fitted on those same
    validation learners). Only the chosen method's test predictions are returned."""
    fitting, validation = learner_split(train, validation_share=params.validation_share, seed=params.seed)
    models = [
        fit_mastery(train, replace(params, seed=params.seed + k), progress=progress, split_seed=params.seed)
        for k in range(members)
    ]
    vocabulary = models[0].vocabulary
    valid_nets = np.stack([_logit(m.predict_responses(validation)) for m in models])
    test_nets = np.stack([_logit(m.predict_responses(test)) for m in models])
    progress("fitting Best-LR for the stack")
    fit_history = history_features(fitting, vocabulary)
    best_lr = WindowedLogistic.fit(fit_history, vocabulary.n_skills)
    valid_history = history_features(validation, vocabulary)
    valid_lr = _logit(best_lr.predict(valid_history))
    test_lr = _logit(best_lr.predict(history_features(test, vocabulary)))
    valid_design = np.column_stack([valid_nets.mean(axis=0), valid_lr])
    stack = LogisticRegression(C=1e4, max_iter=1000).fit(valid_design, valid_history.correct)
    candidates = {
        MODEL_NAME: (valid_nets[0], test_nets[0]),
        f"{MODEL_NAME}-x{members}": (valid_nets.mean(axis=0), test_nets.mean(axis=0)),
        f"{MODEL_NAME}-x{members}+best-lr": (
            stack.decision_function(valid_design),
            stack.decision_function(np.column_stack([test_nets.mean(axis=0), test_lr])),
        ),
    }
    scores = {name: auc(valid_history.correct, v) for name, (v, _) in candidates.items()}
    for name, score in scores.items():
        progress(f"validation AUC {name}: {score:.4f}")
    chosen = max(scores, key=lambda name: scores[name])
    progress(f"chosen on validation learners: {chosen} (stack weights {stack.coef_.ravel().round(3)})")
    chosen_logit = candidates[chosen][1]
    return 1.0 / (1.0 + np.exp(-chosen_logit)), chosen, models[0]


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
    members: int = ENSEMBLE_MEMBERS,
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
    members : int
        Networks in the ensemble (different seeds, one validation split); the method is chosen on
        the validation learners (see :func:`_ensemble`).
    progress : callable, optional
        Receives progress lines.

    Returns
    -------
    metrics : dict
        ``auc``, ``rmse``, ``baseline_auc`` (per-skill mean), ``pfa_auc``, ``n_train`` and ``n_test``
        (answers) and ``model`` (its name).
    model : MasteryModel
        The first network (the one used online).
    """
    train, test = prepare_responses(train), prepare_responses(test)
    shared = set(train["learner_id"]).intersection(test["learner_id"])
    if shared:
        raise ValueError(f"train and test share {len(shared)} learners; the protocol needs disjoint learners")
    started = time.monotonic()
    predicted, name, model = _ensemble(train, test, params, members, progress)
    progress(f"models fitted in {time.monotonic() - started:.0f}s")

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
