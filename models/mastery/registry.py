"""The mastery model in MLflow: log a training run, register its model, move aliases, load a version.

With ``train`` the only mastery module that talks to MLflow; serving and the online update load the
champion through this module and never import the training code.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import scipy
import sklearn
import torch
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema

from models.mastery.model import MasteryModel

# Telemetry is checked when MLflow is used, not when it is imported; setdefault keeps an explicit opt-in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

DEFAULT_REGISTRY_NAME = "skill_mastery"
SIGNATURE = ModelSignature(
    inputs=Schema(
        [
            ColSpec("string", "learner_id"),
            ColSpec("long", "seq"),
            ColSpec("string", "skill_id"),
            ColSpec("long", "correct"),
        ]
    ),
    outputs=Schema([ColSpec("double", "p_correct")]),
)


class SkillMasteryModel(PythonModel):
    """MLflow pyfunc wrapper: P(correct) of each answer from the same learner's earlier answers."""

    tracer: MasteryModel

    def load_context(self, context: PythonModelContext) -> None:
        """Read the ``mastery`` npz artifact once, when MLflow loads the model."""
        self.tracer = MasteryModel.load(Path(context.artifacts["mastery"]))

    def predict(
        self, context: PythonModelContext, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """One ``p_correct`` per answer of ``model_input``, rows ordered by learner then ``seq``."""
        return pd.DataFrame({"p_correct": self.tracer.predict_responses(model_input)})


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
    # torch is needed only for batch prediction (the online update is numpy), but predict() batches.
    return [
        f"mlflow=={mlflow.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"scipy=={scipy.__version__}",
        f"torch=={torch.__version__.split('+')[0]}",
    ]


def log_and_register(
    model: MasteryModel,
    *,
    tracking_uri: str,
    registry_name: str,
    experiment_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    input_example: pd.DataFrame,
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
        artifact = Path(workdir) / "mastery.npz"
        model.save(artifact)
        model_info = mlflow.pyfunc.log_model(
            name="model",
            python_model=SkillMasteryModel(),
            artifacts={"mastery": str(artifact)},
            pip_requirements=_pip_requirements(),
            signature=SIGNATURE,
            # Also a smoke test: MLflow runs the wrapper on it while logging, before anything is registered.
            input_example=input_example,
            registered_model_name=registry_name,
        )
    return run.info.run_id, str(model_info.registered_model_version)


def log_metrics(*, tracking_uri: str, run_id: str, metrics: dict[str, float]) -> None:
    """Add metrics measured after registration (the agreement with a generator's truth) to a run."""
    client = _client(tracking_uri)
    for name, value in metrics.items():
        client.log_metric(run_id, name, value)


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


def load_version(*, tracking_uri: str, registry_name: str, version: str) -> MasteryModel:
    """Load one registered version of the mastery model."""
    _client(tracking_uri)
    wrapper = mlflow.pyfunc.load_model(f"models:/{registry_name}/{version}").unwrap_python_model()
    if not isinstance(wrapper, SkillMasteryModel):
        raise TypeError(f"{registry_name} version {version} is not a SkillMasteryModel")
    return wrapper.tracer


def load_champion(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> tuple[MasteryModel, str]:
    """Load the mastery model behind ``alias`` and return it with its version.

    Raises
    ------
    LookupError
        If the registered model or the alias does not exist.
    """
    version = champion_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    if version is None:
        raise LookupError(f"registered model {registry_name!r} has no {alias!r} alias at {tracking_uri}")
    return load_version(tracking_uri=tracking_uri, registry_name=registry_name, version=version), version
