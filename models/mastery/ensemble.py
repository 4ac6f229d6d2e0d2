"""The served tracer: networks of two families and Best-LR, combined as chosen on held-out training learners.

:func:`fit_ensemble` fits ``params.members`` GRU networks (seeds ``s, s+1, …``), ``params.attention_members``
attention networks (:class:`~models.mastery.network.AttentionNetwork`, seeds ``s, …``) and Best-LR with
windows on the same 90% of the training learners. On the other 10% — training learners, never test
ones — it scores the candidates: the first GRU alone, the logit mean of the GRUs, the logit mean of every
network, a logistic blend of the GRUs' mean with Best-LR's logit (two weights and a bias fitted on those
validation learners) and, with attention networks, a logistic blend of the GRUs' mean, the attention
networks' mean and Best-LR (three weights and a bias). It keeps the best by validation AUC, then, with
``params.refit``, fits the chosen members again on *every* training learner, each for the epoch count
it was stopped at, and keeps the blend's weights. The result is one
:class:`~models.mastery.model.MasteryModel`, which predicts offline and updates online in numpy whatever
was chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from models.mastery.baselines import WindowedLogistic
from models.mastery.features import (
    HistoryFeatures,
    Vocabulary,
    build_vocabulary,
    history_features,
    learner_split,
    prepare_responses,
)
from models.mastery.model import ATTENTION, GRU, MasteryModel, MasteryParams, fit_mastery

MODEL_NAME = "gru-counts"
ATTENTION_NAME = "attention-counts"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _linear(best_lr: WindowedLogistic, history: HistoryFeatures) -> dict[str, np.ndarray]:
    """Best-LR's coefficients in the layout :class:`MasteryModel` reads online."""
    return {
        "coef": best_lr.regression.coef_.ravel().astype(np.float64),
        "intercept": np.asarray(float(best_lr.regression.intercept_[0])),
        "success_column": np.asarray(history.names.index("skill_correct")),
        "failure_column": np.asarray(history.names.index("skill_wrong")),
    }


def fit_best_lr(responses: pd.DataFrame, vocabulary: Vocabulary) -> dict[str, np.ndarray]:
    """Best-LR with windows fitted on prepared ``responses``, as :attr:`MasteryModel.linear` holds it."""
    history = history_features(responses, vocabulary)
    return _linear(WindowedLogistic.fit(history, vocabulary.n_skills), history)


def _auc(correct: np.ndarray, predicted: np.ndarray) -> float:
    return float(roc_auc_score(correct, predicted)) if len(np.unique(correct)) == 2 else float("nan")


def fit_ensemble(
    responses: pd.DataFrame,
    params: MasteryParams,
    *,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[MasteryModel, str]:
    """Fit the members, choose the combination on held-out training learners, refit the chosen ones.

    Parameters
    ----------
    responses : pandas.DataFrame
        Long-format training responses.
    params : MasteryParams
        Hyper-parameters; ``members``, ``attention_members``, ``refit`` and ``validation_share`` shape
        the ensemble.
    progress : callable, optional
        Receives progress lines, among them each candidate's validation AUC and the choice.

    Returns
    -------
    model : MasteryModel
        The chosen combination (its ``validation_auc`` is the chosen candidate's).
    name : str
        ``gru-counts``, ``gru-counts-xK``, ``gru-counts-xK+best-lr``, ``gru-counts-xK+attention-counts-xA``
        or ``gru-counts-xK+attention-counts-xA+best-lr``.
    """
    prepared = prepare_responses(responses)
    fitting, validation = learner_split(prepared, validation_share=params.validation_share, seed=params.seed)
    families = [GRU] * max(1, params.members) + [ATTENTION] * max(0, params.attention_members)
    seeds = [params.seed + sum(f == family for f in families[:k]) for k, family in enumerate(families)]
    members = [
        fit_mastery(
            prepared, replace(params, seed=seed), progress=progress, split_seed=params.seed, family=family
        )
        for seed, family in zip(seeds, families, strict=True)
    ]
    grus = families.count(GRU)
    vocabulary = members[0].vocabulary
    valid_history = history_features(validation, vocabulary)
    correct = valid_history.correct
    valid_nets = np.stack([_logit(m.predict_responses(validation)) for m in members])
    gru_mean = valid_nets[:grus].mean(axis=0)
    equal = (1.0, 0.0, 0.0)
    # name -> (members kept, blend, weight of each kept network's logit (empty: mean), validation logit)
    candidates: dict[str, tuple[int, tuple[float, float, float], tuple[float, ...], np.ndarray]] = {
        MODEL_NAME: (1, equal, (), valid_nets[0])
    }
    if grus > 1:
        candidates[f"{MODEL_NAME}-x{grus}"] = (grus, equal, (), gru_mean)
    progress("fitting Best-LR for the blend")
    linear = fit_best_lr(fitting, vocabulary)
    valid_lr = replace(members[0], linear=linear).linear_logit(valid_history.skill, valid_history.numeric)
    gru_name = f"{MODEL_NAME}-x{grus}" if grus > 1 else MODEL_NAME
    attention_name = f"{gru_name}+{ATTENTION_NAME}-x{len(members) - grus}"
    if len(members) > grus:
        candidates[attention_name] = (len(members), equal, (), valid_nets.mean(axis=0))
    if len(np.unique(correct)) == 2:
        design = np.column_stack([gru_mean, valid_lr])
        stack = LogisticRegression(C=1e4, max_iter=1000).fit(design, correct)
        weights = (float(stack.coef_[0, 0]), float(stack.coef_[0, 1]), float(stack.intercept_[0]))
        candidates[f"{gru_name}+best-lr"] = (grus, weights, (), stack.decision_function(design))
        if len(members) > grus:
            # One weight per family (each family's members averaged), one for Best-LR and a bias.
            design = np.column_stack([gru_mean, valid_nets[grus:].mean(axis=0), valid_lr])
            stack = LogisticRegression(C=1e4, max_iter=1000).fit(design, correct)
            gru_weight, attention_weight, lr_weight = (float(w) for w in stack.coef_[0])
            per_network = (gru_weight / grus,) * grus + (attention_weight / (len(members) - grus),) * (
                len(members) - grus
            )
            candidates[f"{attention_name}+best-lr"] = (
                len(members),
                (1.0, lr_weight, float(stack.intercept_[0])),
                per_network,
                stack.decision_function(design),
            )
    scores = {name: _auc(correct, logit) for name, (_, _, _, logit) in candidates.items()}
    for name, score in scores.items():
        progress(f"validation AUC {name}: {score:.4f}")
    chosen = max(scores, key=lambda name: -np.inf if np.isnan(scores[name]) else scores[name])
    kept, blend, network_weights, _ = candidates[chosen]
    described = np.round([*blend, *network_weights], 3).tolist()
    progress(f"chosen on validation learners: {chosen} (blend {described})")
    chosen_members = members[:kept]
    uses_linear = blend[1] != 0.0
    if params.refit:
        progress("re-fitting the chosen members on every training learner")
        chosen_members = [
            fit_mastery(
                prepared,
                replace(params, seed=seed),
                progress=progress,
                refit_epochs=m.best_epoch,
                family=family,
            )
            for seed, family, m in zip(seeds, families, chosen_members, strict=False)
        ]
        vocabulary = build_vocabulary(prepared)
        linear = fit_best_lr(prepared, vocabulary) if uses_linear else linear
    model = replace(
        chosen_members[0],
        networks=[m.weights for m in chosen_members],
        linear=linear if uses_linear else None,
        blend=blend,
        network_weights=network_weights,
        validation_auc=scores[chosen],
        best_epoch=members[0].best_epoch,
    )
    return model, chosen
