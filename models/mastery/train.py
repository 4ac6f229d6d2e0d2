"""Train the mastery model: evaluate it and the current champion on one learner-disjoint split,
register it, set the alias.

The model, features and metrics are pure (``model``, ``features``, ``evaluate``, ``baselines``);
everything MLflow does goes through ``registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from models.mastery import registry
from models.mastery.ensemble import fit_ensemble
from models.mastery.evaluate import auc, evaluate_mastery, rmse
from models.mastery.features import data_fingerprint, learner_split, prepare_responses
from models.mastery.model import DEFAULT_PARAMS, MasteryModel, MasteryParams

DEFAULT_TEST_SHARE = 0.2
EVALUATION_PROTOCOL = (
    "learner-disjoint split; every test answer predicted from the same learner's earlier answers "
    "(predict, then update); AUC/RMSE next to the per-skill mean and PFA fitted on the training learners; "
    "the current champion scored on the same test learners"
)


@dataclass
class TrainingResult:
    """Outcome of one training run and where its model landed in the registry.

    ``metrics`` holds the new model's and the baselines' figures and, when there was a champion, its
    figures on the same test learners as ``champion_auc`` and ``champion_rmse``; ``compared_with`` is
    that champion's version. ``model`` is the served model (re-fitted on every learner).
    """

    run_id: str
    model_version: str
    alias: str
    metrics: dict[str, float]
    n_learners: int
    n_skills: int
    n_responses: int
    model: MasteryModel
    compared_with: str | None = None


def train_skill_mastery(
    responses: pd.DataFrame,
    *,
    tracking_uri: str,
    registry_name: str = registry.DEFAULT_REGISTRY_NAME,
    params: MasteryParams = DEFAULT_PARAMS,
    test_share: float = DEFAULT_TEST_SHARE,
    experiment_name: str = "skill_mastery",
    progress: Callable[[str], None] = lambda message: None,
) -> TrainingResult:
    """Evaluate on a learner-disjoint split next to the champion, refit on all learners, register.

    Parameters
    ----------
    responses : pandas.DataFrame
        Long-format responses (``learner_id, seq, skill_id, correct``, optional ``item_id``).
    tracking_uri : str
        MLflow tracking and registry URI, e.g. ``sqlite:///…/mlflow.db``.
    registry_name, experiment_name : str
        Registered model and experiment to use (created when missing).
    params : MasteryParams
        Hyper-parameters of both the evaluation fit and the served fit; ``params.seed`` also draws the
        test learners, so a fixed seed gives the same split and the same model.
    test_share : float, default 0.2
        Share of learners held out for the evaluation.
    progress : callable, optional
        Receives progress lines.

    Returns
    -------
    TrainingResult
        The new version becomes ``champion`` when there is none yet, or when its AUC on this run's test
        learners is strictly higher than the current champion's on the same learners; otherwise it
        becomes ``challenger``. The champion was fitted on an earlier run's data, which may include
        these test learners: that can only flatter it, never promote a worse model.
    """
    prepared = prepare_responses(responses)
    train, test = learner_split(prepared, validation_share=test_share, seed=params.seed)
    if train.empty or test.empty:
        raise ValueError("too few learners for a learner-disjoint split: need some to train and some to test")
    # The evaluated model is the served kind: the same ensemble, chosen the same way, updates online.
    evaluated, _ = evaluate_mastery(train, test, params, progress=progress)
    metrics = {name: float(value) for name, value in evaluated.items() if not isinstance(value, str)}
    served_correct = prepare_responses(test)["correct"].to_numpy()

    champion = registry.champion_version(tracking_uri=tracking_uri, registry_name=registry_name)
    if champion is not None:
        where = {"tracking_uri": tracking_uri, "registry_name": registry_name, "version": champion}
        current = registry.load_version(**where)
        predicted = current.predict_responses(test)
        correct = served_correct
        metrics |= {"champion_auc": auc(correct, predicted), "champion_rmse": rmse(correct, predicted)}

    progress("re-fitting on every learner for serving")
    served, served_name = fit_ensemble(prepared, params, progress=progress)
    n_learners = int(prepared["learner_id"].nunique())
    n_skills = int(prepared["skill_id"].nunique())
    tags = {
        "data_fingerprint": data_fingerprint(prepared),
        "evaluation_protocol": EVALUATION_PROTOCOL,
        "model": served_name,
        "evaluated_model": str(evaluated["model"]),
    }
    if champion is not None:
        tags["compared_with_version"] = champion
    first_learner = prepared[prepared["learner_id"] == prepared["learner_id"].iloc[0]]
    run_id, version = registry.log_and_register(
        served,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        experiment_name=experiment_name,
        params={
            **asdict(params),
            "test_share": test_share,
            "n_learners": n_learners,
            "n_skills": n_skills,
            "n_responses": len(prepared),
        },
        metrics=metrics | {"validation_auc": served.validation_auc, "best_epoch": served.best_epoch},
        tags=tags,
        input_example=first_learner[["learner_id", "seq", "skill_id", "correct"]]
        .head(5)
        .astype({"seq": "int64", "correct": "int64"}),
    )

    # Strictly better: a tie keeps the champion, and so does a test split it cannot score (NaN).
    promoted = champion is None or metrics["auc"] > metrics["champion_auc"]
    alias = "champion" if promoted else "challenger"
    registry.set_alias(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias, version=version)
    return TrainingResult(
        run_id=run_id,
        model_version=version,
        alias=alias,
        metrics=metrics,
        n_learners=n_learners,
        n_skills=n_skills,
        n_responses=len(prepared),
        model=served,
        compared_with=champion,
    )
