"""The course recommender in MLflow: log a training run, register its model, move aliases, load a version.

With ``train`` the only recommender module that talks to MLflow; serving imports this module to load the
champion and never the training code.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import implicit
import mlflow
import numpy as np
import pandas as pd
import scipy
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema

from models.recommender.model import DEFAULT_K, ALSParams, CourseRecommender

# Telemetry is checked when MLflow is used, not when it is imported; setdefault keeps an explicit opt-in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

DEFAULT_REGISTRY_NAME = "course_recommender"
PREDICTION_TYPES = {
    "learner_id": "string", "course_id": "string", "score": "double", "rank": "long", "fallback": "boolean"
}  # fmt: skip
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "learner_id"), ColSpec("long", "k", required=False)]),
    outputs=Schema([ColSpec(kind, name) for name, kind in PREDICTION_TYPES.items()]),
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


def log_and_register(
    model: CourseRecommender,
    *,
    tracking_uri: str,
    registry_name: str,
    experiment_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
) -> tuple[str, str]:
    """Log one training run with ``model`` as its pyfunc artifact and register it as a new version.

    Returns
    -------
    run_id, version : str
        The MLflow run and the new version of ``registry_name``; no alias is set.
    """
    client = _client(tracking_uri)
    experiment_id = _experiment_id(client, experiment_name, tracking_uri)
    with mlflow.start_run(experiment_id=experiment_id) as run, tempfile.TemporaryDirectory() as workdir:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        artifact = Path(workdir) / "recommender.npz"
        model.save(artifact)
        model_info = mlflow.pyfunc.log_model(
            name="model",
            python_model=CourseRecommenderModel(),
            artifacts={"recommender": str(artifact)},
            pip_requirements=_pip_requirements(),
            signature=SIGNATURE,
            # Also a smoke test: MLflow runs the wrapper on it while logging, before anything is registered.
            input_example=pd.DataFrame({"learner_id": [str(model.learner_ids[0])], "k": [DEFAULT_K]}),
            registered_model_name=registry_name,
        )
    return run.info.run_id, str(model_info.registered_model_version)


def set_alias(*, tracking_uri: str, registry_name: str, alias: str, version: str) -> None:
    """Point ``alias`` of ``registry_name`` at ``version`` (moving it if it pointed elsewhere)."""
    _client(tracking_uri).set_registered_model_alias(registry_name, alias, version)


def champion_version(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> str | None:
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


def load_version(*, tracking_uri: str, registry_name: str, version: str) -> CourseRecommender:
    """Load one registered version of the recommender."""
    _client(tracking_uri)
    wrapper = mlflow.pyfunc.load_model(f"models:/{registry_name}/{version}").unwrap_python_model()
    if not isinstance(wrapper, CourseRecommenderModel):
        raise TypeError(f"{registry_name} version {version} is not a CourseRecommenderModel")
    return wrapper.recommender


def load_champion(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
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
    # Load the resolved version rather than "@alias" so the returned version matches even if the alias
    # moves in between.
    return load_version(tracking_uri=tracking_uri, registry_name=registry_name, version=version), version


def version_params(*, tracking_uri: str, registry_name: str, version: str) -> ALSParams | None:
    """The hyper-parameters logged by the run that registered ``version``.

    None when the version was registered outside a training run or its run lacks one of them.
    """
    client = _client(tracking_uri)
    run_id = client.get_model_version(registry_name, version).run_id
    if run_id is None:
        return None
    logged = client.get_run(run_id).data.params
    try:
        return ALSParams(
            factors=int(logged["factors"]),
            regularization=float(logged["regularization"]),
            iterations=int(logged["iterations"]),
            alpha=float(logged["alpha"]),
            random_state=int(logged["random_state"]),
        )
    except KeyError:
        return None
