"""Train the course recommender: evaluate it and the current champion on one split, register, set the alias.

The model, features and metrics are pure (``model``, ``features``, ``evaluate``); everything MLflow does
goes through ``registry``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import pandas as pd

from models.recommender import registry
from models.recommender.evaluate import evaluate_champion, evaluate_hybrid
from models.recommender.features import build_interaction_matrix, data_fingerprint, time_split
from models.recommender.hybrid import Catalog
from models.recommender.model import DEFAULT_K, DEFAULT_PARAMS, ALSParams, fit_als

SPLIT_PROTOCOL = "leave-latest-course-out(min_history=2)"
EVALUATION_PROTOCOL = (
    "leave-latest-course-out per learner with >=2 courses; the hybrid's weights chosen on the same "
    "split of the training rows only; recall@k/NDCG@k of the hybrid vs ALS alone vs most-popular on "
    "training counts, training courses excluded, goal gaps off; the current champion blended as it "
    "serves on the same split with its learners re-solved from the training courses"
)


@dataclass
class TrainingResult:
    """Outcome of one training run and where its model landed in the registry.

    ``metrics`` holds the new model's and the baseline's metrics and, when there was a champion to
    compare against, the champion's on the same split as ``champion_recall_at_{k}`` and
    ``champion_ndcg_at_{k}``; ``compared_with`` is that champion's version.
    """

    run_id: str
    model_version: str
    alias: str
    metrics: dict[str, float]
    n_learners: int
    n_courses: int
    n_interactions: int
    compared_with: str | None = None


def train_course_recommender(
    interactions: pd.DataFrame,
    *,
    tracking_uri: str,
    registry_name: str = registry.DEFAULT_REGISTRY_NAME,
    params: ALSParams = DEFAULT_PARAMS,
    k: int = DEFAULT_K,
    experiment_name: str = "course_recommender",
    catalog: Catalog | None = None,
) -> TrainingResult:
    """Evaluate the hybrid on a time split next to ALS alone, popularity and the current champion, refit
    on all data with the chosen blend, register, set the alias.

    Parameters
    ----------
    interactions : pandas.DataFrame
        Columns ``learner_id``, ``course_id``, ``event_count`` and ``first_at``.
    tracking_uri : str
        MLflow tracking and registry URI, e.g. ``sqlite:///…/mlflow.db``.
    registry_name, experiment_name : str
        Registered model and experiment to use (created when missing).
    params : ALSParams
        Hyper-parameters for both the evaluation fit and the served fit.
    k : int, default 10
        Cut-off of the logged ranking metrics.
    catalog : Catalog, optional
        The courses' subjects, levels and skills for the content signal (none: collaborative and
        popularity only).

    Returns
    -------
    TrainingResult
        The new version becomes ``champion`` when there is none yet, or when its recall@k on this run's
        split is strictly higher than the current champion's on the same split
        (:func:`models.recommender.evaluate.evaluate_champion`); otherwise it becomes ``challenger``.
    """
    train_rows, test_rows = time_split(interactions)
    all_courses = sorted(interactions["course_id"].astype(str).unique())
    evaluation = evaluate_hybrid(
        train_rows, test_rows, course_ids=all_courses, catalog=catalog, params=params, k=k
    )
    metrics = dict(evaluation.metrics)

    champion = registry.champion_version(tracking_uri=tracking_uri, registry_name=registry_name)
    if champion is not None:
        where = {"tracking_uri": tracking_uri, "registry_name": registry_name, "version": champion}
        model = registry.load_version(**where)
        fitted_with = registry.version_params(**where)
        # A version registered outside a training run has no hyper-parameters to re-solve its learners
        # with, so it is scored as it serves: that can only flatter it, never promote a worse model.
        champion_metrics = evaluate_champion(model, fitted_with, train_rows, test_rows, catalog=catalog, k=k)
        metrics |= {f"champion_{name}": value for name, value in champion_metrics.items()}

    full = build_interaction_matrix(interactions, course_ids=all_courses)
    served = replace(fit_als(full, params), blend=evaluation.weights.as_array())
    n_learners, n_courses = full.matrix.shape
    n_interactions = int(full.matrix.nnz)
    tags = {"data_fingerprint": data_fingerprint(interactions), "evaluation_protocol": EVALUATION_PROTOCOL}
    if champion is not None:
        tags["compared_with_version"] = champion
    run_id, version = registry.log_and_register(
        served,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        experiment_name=experiment_name,
        params={
            **asdict(params),
            **{f"weight_{name}": value for name, value in asdict(evaluation.weights).items()},
            "k": k,
            "split_protocol": SPLIT_PROTOCOL,
            "n_learners": n_learners,
            "n_courses": n_courses,
            "n_interactions": n_interactions,
        },
        metrics=metrics,
        tags=tags,
    )

    # Strictly better: a tie keeps the champion, and so does a split with no learner to score (NaN).
    promoted = champion is None or metrics[f"recall_at_{k}"] > metrics[f"champion_recall_at_{k}"]
    alias = "champion" if promoted else "challenger"
    registry.set_alias(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias, version=version)
    return TrainingResult(
        run_id=run_id,
        model_version=version,
        alias=alias,
        metrics=metrics,
        n_learners=n_learners,
        n_courses=n_courses,
        n_interactions=n_interactions,
        compared_with=champion,
    )
