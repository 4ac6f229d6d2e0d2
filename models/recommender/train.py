"""Fit, evaluate, register and load the ALS course recommender.

This is the only recommender module that talks to MLflow: features and evaluation stay pure so they
can be tested and benchmarked without a tracking server.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import implicit
import mlflow
import numpy as np
import pandas as pd
import scipy
from implicit.cpu.als import AlternatingLeastSquares
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema
from threadpoolctl import threadpool_limits

from models.recommender.evaluate import evaluate_recommender
from models.recommender.features import (
    InteractionMatrix,
    build_interaction_matrix,
    data_fingerprint,
    time_split,
)

# Telemetry is checked when MLflow is used, not when it is imported; setdefault keeps an explicit opt-in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

SPLIT_PROTOCOL = "leave-latest-course-out(min_history=2)"
EVALUATION_PROTOCOL = (
    "leave-latest-course-out per learner with >=2 courses; recall@k/NDCG@k vs most-popular on "
    "training counts, training courses excluded"
)
DEFAULT_K = 10
PREDICTION_TYPES = {
    "learner_id": "string", "course_id": "string", "score": "double", "rank": "long", "fallback": "boolean"
}  # fmt: skip
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "learner_id"), ColSpec("long", "k", required=False)]),
    outputs=Schema([ColSpec(kind, name) for name, kind in PREDICTION_TYPES.items()]),
)


@dataclass(frozen=True)
class ALSParams:
    """Hyper-parameters of implicit's alternating least squares (confidence = alpha × weight).

    The defaults were chosen by a grid (factors 4-32, regularization 0.05-10, alpha 1-20) on synthetic
    histories generated with seeds 98 and 99 only, which neither the demo (seed 7) nor the tests use: few
    factors and strong regularization, because catalogues have tens to hundreds of courses and most
    learners take a handful.
    """

    factors: int = 8
    regularization: float = 10.0
    iterations: int = 20
    alpha: float = 1.0
    random_state: int = 42


DEFAULT_PARAMS = ALSParams()


# eq=False: the generated __eq__ would compare numpy arrays element-wise and fail on truthiness.
@dataclass(eq=False)
class CourseRecommender:
    """Learner and course embeddings plus the popularity used for learners the model has not seen."""

    learner_ids: np.ndarray
    course_ids: np.ndarray
    learner_factors: np.ndarray
    course_factors: np.ndarray
    popularity: np.ndarray
    _row_of: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.learner_factors.shape[0] != len(self.learner_ids):
            raise ValueError("learner_factors must have one row per learner id")
        n_courses = len(self.course_ids)
        if self.course_factors.shape[0] != n_courses or len(self.popularity) != n_courses:
            raise ValueError("course_factors and popularity must have one row per course id")
        self._row_of = {learner_id: row for row, learner_id in enumerate(self.learner_ids.tolist())}

    def recommend(
        self, learner_id: str, *, exclude: Collection[str] = (), k: int = 10
    ) -> tuple[list[tuple[str, float]], bool]:
        """Rank courses for one learner.

        Parameters
        ----------
        learner_id : str
            Learner to recommend for.
        exclude : collection of str, optional
            Course ids never to return, typically the learner's current courses.
        k : int, default 10
            Maximum number of courses; fewer are returned when the catalogue is smaller.

        Returns
        -------
        recommendations : list of (course_id, score)
            Best first; ties keep catalogue order so that results are reproducible.
        fallback : bool
            True when the learner is unknown to the model; scores are then the share of training
            learners who took each course.
        """
        if k < 1:
            raise ValueError("k must be >= 1")
        # A bare string is a Collection[str] too; treat it as one id rather than as its characters.
        excluded = [exclude] if isinstance(exclude, str) else list(exclude)
        row = self._row_of.get(learner_id)
        if row is None:
            scores = self.popularity / max(len(self.learner_ids), 1)
        else:
            scores = self.course_factors @ self.learner_factors[row]
        candidates = np.flatnonzero(~np.isin(self.course_ids, np.asarray(excluded, dtype=str)))
        best = candidates[np.argsort(-scores[candidates], kind="stable")][:k]
        return [(str(self.course_ids[i]), float(scores[i])) for i in best], row is None

    def save(self, path: Path) -> None:
        """Write the model to one ``.npz`` file at exactly ``path`` (no pickled objects)."""
        with Path(path).open("wb") as handle:
            np.savez(
                handle,
                learner_ids=self.learner_ids.astype(str),
                course_ids=self.course_ids.astype(str),
                learner_factors=self.learner_factors,
                course_factors=self.course_factors,
                popularity=self.popularity,
            )

    @classmethod
    def load(cls, path: Path) -> CourseRecommender:
        """Read a model written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as arrays:
            return cls(
                learner_ids=arrays["learner_ids"],
                course_ids=arrays["course_ids"],
                learner_factors=arrays["learner_factors"],
                course_factors=arrays["course_factors"],
                popularity=arrays["popularity"],
            )


def fit_als(train: InteractionMatrix, params: ALSParams) -> CourseRecommender:
    """Factorise the learner × course confidence matrix with implicit's CPU ALS.

    Parameters
    ----------
    train : InteractionMatrix
        Weights from :func:`build_interaction_matrix`; implicit multiplies them by ``params.alpha``.
    params : ALSParams
        Hyper-parameters; a fixed ``random_state`` makes the factors reproducible.

    Returns
    -------
    CourseRecommender
        Factors plus per-course learner counts for the cold-start fallback.
    """
    # One solver thread and one BLAS thread: multi-threaded reductions change the float summation
    # order between runs, and OpenBLAS threading only slows ALS down (implicit warns about it).
    with threadpool_limits(limits=1, user_api="blas"):
        als = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=1,
            dtype=np.float32,
        )
        als.fit(train.matrix, show_progress=False)
    return CourseRecommender(
        learner_ids=train.learner_ids.astype(str),
        course_ids=train.course_ids.astype(str),
        learner_factors=np.asarray(als.user_factors),
        course_factors=np.asarray(als.item_factors),
        popularity=train.matrix.getnnz(axis=0).astype(np.float64),
    )


class CourseRecommenderModel(PythonModel):
    """MLflow pyfunc wrapper: one row per (learner, recommended course)."""

    recommender: CourseRecommender

    def load_context(self, context: PythonModelContext) -> None:
        """Read the ``recommender`` npz artifact once, when MLflow loads the model."""
        self.recommender = CourseRecommender.load(Path(context.artifacts["recommender"]))

    def predict(
        self, context: PythonModelContext, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Rank courses for each ``learner_id`` of ``model_input`` (optional column ``k``, default 10).

        Returns one row per recommendation with columns ``learner_id, course_id, score, rank, fallback``,
        rank 1 being the best. Current courses are not excluded: callers who know them should call
        :meth:`CourseRecommender.recommend` with ``exclude``.
        """
        ks = model_input["k"] if "k" in model_input.columns else pd.Series(DEFAULT_K, index=model_input.index)
        rows: list[tuple[str, str, float, int, bool]] = []
        for learner_id, k in zip(model_input["learner_id"].astype(str), ks, strict=True):
            recommendations, fallback = self.recommender.recommend(
                learner_id, k=DEFAULT_K if pd.isna(k) else int(k)
            )
            rows.extend(
                (learner_id, course_id, score, rank, fallback)
                for rank, (course_id, score) in enumerate(recommendations, start=1)
            )
        return pd.DataFrame(rows, columns=list(PREDICTION_TYPES)).astype(
            {"learner_id": str, "course_id": str, "score": float, "rank": "int64", "fallback": bool}
        )


@dataclass
class TrainingResult:
    """Outcome of one training run and where its model landed in the registry."""

    run_id: str
    model_version: str
    alias: str
    metrics: dict[str, float]
    n_learners: int
    n_courses: int
    n_interactions: int


def _client(tracking_uri: str) -> MlflowClient:
    # The fluent API (start_run, log_model, load_model) reads the global URIs, so set them as well.
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _experiment_id(client: MlflowClient, name: str, tracking_uri: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    database = tracking_uri.removeprefix("sqlite:///").split("?")[0]
    if tracking_uri.startswith("sqlite:///") and database not in ("", ":memory:"):
        # Without this MLflow would write artifacts under ./mlruns of whatever the working directory is.
        artifacts = (Path(database).resolve().parent / "artifacts").as_uri()
        return client.create_experiment(name, artifact_location=artifacts)
    return client.create_experiment(name)


def _pip_requirements() -> list[str]:
    return [
        f"implicit=={implicit.__version__}",
        f"mlflow=={mlflow.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
        f"scipy=={scipy.__version__}",
    ]


def _choose_alias(
    client: MlflowClient, *, tracking_uri: str, registry_name: str, fingerprint: str, recall: float, k: int
) -> str:
    champion = champion_version(tracking_uri=tracking_uri, registry_name=registry_name)
    if champion is None:
        return "champion"
    champion_run_id = client.get_model_version(registry_name, champion).run_id
    if champion_run_id is None:  # registered from outside a run: nothing to compare against
        return "champion"
    champion_run = client.get_run(champion_run_id)
    champion_recall = champion_run.data.metrics.get(f"recall_at_{k}")
    # Metrics from other data (or another cut-off) are not comparable, so the newest evidence wins.
    if champion_run.data.tags.get("data_fingerprint") != fingerprint or champion_recall is None:
        return "champion"
    return "champion" if recall >= champion_recall else "challenger"


def train_course_recommender(
    interactions: pd.DataFrame,
    *,
    tracking_uri: str,
    registry_name: str = "course_recommender",
    params: ALSParams = DEFAULT_PARAMS,
    k: int = DEFAULT_K,
    experiment_name: str = "course_recommender",
) -> TrainingResult:
    """Evaluate on a time split, refit on all data, register the model and set its alias.

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

    Returns
    -------
    TrainingResult
        The new version becomes ``champion`` unless the current champion was evaluated on the same data
        and has a strictly higher recall@k, in which case it becomes ``challenger``.
    """
    client = _client(tracking_uri)
    experiment_id = _experiment_id(client, experiment_name, tracking_uri)

    train_rows, test_rows = time_split(interactions)
    all_courses = sorted(interactions["course_id"].astype(str).unique())
    evaluated = fit_als(build_interaction_matrix(train_rows, course_ids=all_courses), params)
    metrics = evaluate_recommender(evaluated, train_rows, test_rows, k=k)

    full = build_interaction_matrix(interactions, course_ids=all_courses)
    served = fit_als(full, params)
    fingerprint = data_fingerprint(interactions)
    n_learners, n_courses = full.matrix.shape
    n_interactions = int(full.matrix.nnz)

    with mlflow.start_run(experiment_id=experiment_id) as run, tempfile.TemporaryDirectory() as workdir:
        mlflow.log_params({**asdict(params), "k": k, "split_protocol": SPLIT_PROTOCOL})
        mlflow.log_params(
            {"n_learners": n_learners, "n_courses": n_courses, "n_interactions": n_interactions}
        )
        mlflow.log_metrics(metrics)
        mlflow.set_tags({"data_fingerprint": fingerprint, "evaluation_protocol": EVALUATION_PROTOCOL})
        artifact = Path(workdir) / "recommender.npz"
        served.save(artifact)
        model_info = mlflow.pyfunc.log_model(
            name="model",
            python_model=CourseRecommenderModel(),
            artifacts={"recommender": str(artifact)},
            pip_requirements=_pip_requirements(),
            signature=SIGNATURE,
            # Also a smoke test: MLflow runs the wrapper on it while logging, before anything is registered.
            input_example=pd.DataFrame({"learner_id": [str(served.learner_ids[0])], "k": [k]}),
            registered_model_name=registry_name,
        )

    version = str(model_info.registered_model_version)
    alias = _choose_alias(
        client,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        fingerprint=fingerprint,
        recall=metrics[f"recall_at_{k}"],
        k=k,
    )
    client.set_registered_model_alias(registry_name, alias, version)
    return TrainingResult(
        run_id=run.info.run_id,
        model_version=version,
        alias=alias,
        metrics=metrics,
        n_learners=n_learners,
        n_courses=n_courses,
        n_interactions=n_interactions,
    )


def champion_version(*, tracking_uri: str, registry_name: str, alias: str = "champion") -> str | None:
    """Version currently behind ``alias``, or None when the model or the alias does not exist."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        registered = client.get_registered_model(registry_name)
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise
    version = registered.aliases.get(alias)
    return None if version is None else str(version)


def load_champion(
    *, tracking_uri: str, registry_name: str = "course_recommender", alias: str = "champion"
) -> tuple[CourseRecommender, str]:
    """Load the recommender behind ``alias`` and return it with its version.

    Raises
    ------
    LookupError
        If the registered model or the alias does not exist.
    """
    version = champion_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    if version is None:
        raise LookupError(f"registered model {registry_name!r} has no {alias!r} alias at {tracking_uri}")
    _client(tracking_uri)
    # Load the resolved version rather than "@alias" so the returned version matches even if the alias
    # moves in between.
    wrapper = mlflow.pyfunc.load_model(f"models:/{registry_name}/{version}").unwrap_python_model()
    if not isinstance(wrapper, CourseRecommenderModel):
        raise TypeError(f"{registry_name} version {version} is not a CourseRecommenderModel")
    return wrapper.recommender, version
