"""The completion-risk model in MLflow: log a training run, register its model, move aliases, load a version.

With ``train`` the only completion-risk module that talks to MLflow; the pipeline's scoring loads the
champion through this module and never imports the training code.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import sklearn
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema

from models.completion_risk.model import INPUTS, CompletionRiskModel

# Telemetry is checked when MLflow is used, not when it is imported; setdefault keeps an explicit opt-in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

DEFAULT_REGISTRY_NAME = "completion_risk"
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("double", name, required=False) for name in INPUTS]),
    outputs=Schema([ColSpec("double", "probability")]),
)


class CompletionRiskPyfunc(PythonModel):
    """MLflow pyfunc wrapper: P(completes) of each row (the features ``add_derived`` makes, and ``day_k``)."""

    model: CompletionRiskModel

    def load_context(self, context: PythonModelContext) -> None:
        """Read the pickled model once, when MLflow loads it (an artifact this project wrote itself)."""
        with Path(context.artifacts["completion_risk"]).open("rb") as file:
            self.model = pickle.load(file)  # noqa: S301

    def predict(
        self, context: PythonModelContext, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """One ``probability`` per row; rows of a day without a model take the nearest trained day's."""
        from models.completion_risk.scoring import model_day_for

        rows = model_input.assign(
            day_k=model_day_for(model_input["day_k"].to_numpy(), sorted(self.model.days))
        )
        return pd.DataFrame({"probability": self.model.predict(rows.reset_index(drop=True))})


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
        f"mlflow=={mlflow.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
        f"scikit-learn=={sklearn.__version__}",
    ]


def log_and_register(
    model: CompletionRiskModel,
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
        artifact = Path(workdir) / "completion_risk.pkl"
        with artifact.open("wb") as file:
            pickle.dump(model, file)
        model_info = mlflow.pyfunc.log_model(
            name="model",
            python_model=CompletionRiskPyfunc(),
            artifacts={"completion_risk": str(artifact)},
            pip_requirements=_pip_requirements(),
            signature=SIGNATURE,
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


def load_version(*, tracking_uri: str, registry_name: str, version: str) -> CompletionRiskModel:
    """Load one registered version of the completion-risk model."""
    _client(tracking_uri)
    wrapper = mlflow.pyfunc.load_model(f"models:/{registry_name}/{version}").unwrap_python_model()
    if not isinstance(wrapper, CompletionRiskPyfunc):
        raise TypeError(f"{registry_name} version {version} is not a CompletionRiskPyfunc")
    return wrapper.model


def load_champion(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> tuple[CompletionRiskModel, str]:
    """Load the model behind ``alias`` and return it with its version.

    Raises
    ------
    LookupError
        If the registered model or the alias does not exist.
    """
    version = champion_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    if version is None:
        raise LookupError(f"registered model {registry_name!r} has no {alias!r} alias at {tracking_uri}")
    return load_version(tracking_uri=tracking_uri, registry_name=registry_name, version=version), version
