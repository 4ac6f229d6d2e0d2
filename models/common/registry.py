"""MLflow plumbing every model's registry shares: one place for runs, registration, aliases and loading.

Each model keeps its own ``registry`` module (its pyfunc wrapper, signature and pip requirements) and
calls these functions; only registry and train modules may import MLflow (the import contracts).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode
from mlflow.pyfunc.model import PythonModel

# Telemetry is checked when MLflow is used, not when it is imported; setdefault keeps an explicit opt-in.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

Wrapper = TypeVar("Wrapper", bound=PythonModel)


def client(tracking_uri: str) -> MlflowClient:
    """A client for ``tracking_uri``, also set as the global URIs (the fluent API reads those)."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def experiment_id(mlflow_client: MlflowClient, name: str, tracking_uri: str) -> str:
    """The experiment called ``name``, created on first use with its artifacts beside a SQLite store."""
    experiment = mlflow_client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    database = tracking_uri.removeprefix("sqlite:///").split("?")[0]
    if tracking_uri.startswith("sqlite:///") and database not in ("", ":memory:"):
        # Without this MLflow would write artifacts under ./mlruns of whatever the working directory is.
        artifacts = (Path(database).resolve().parent / "artifacts").as_uri()
        return mlflow_client.create_experiment(name, artifact_location=artifacts)
    return mlflow_client.create_experiment(name)


def log_and_register(
    python_model: PythonModel,
    write_artifacts: Callable[[Path], dict[str, Path]],
    *,
    tracking_uri: str,
    registry_name: str,
    experiment_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    pip_requirements: list[str],
    signature: ModelSignature,
    input_example: pd.DataFrame | None = None,
) -> tuple[str, str]:
    """Log one training run with ``python_model`` as its pyfunc and register it as a new version.

    Parameters
    ----------
    write_artifacts
        Writes the model's files into the given folder and returns them by artifact name.
    input_example
        Also a smoke test: MLflow runs the wrapper on it while logging, before anything is registered.

    Returns
    -------
    run_id, version : str
        The MLflow run and the new version of ``registry_name``; no alias is set.
    """
    mlflow_client = client(tracking_uri)
    experiment = experiment_id(mlflow_client, experiment_name, tracking_uri)
    with mlflow.start_run(experiment_id=experiment) as run, tempfile.TemporaryDirectory() as workdir:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
        artifacts = write_artifacts(Path(workdir))
        model_info = mlflow.pyfunc.log_model(
            name="model",
            python_model=python_model,
            artifacts={name: str(path) for name, path in artifacts.items()},
            pip_requirements=pip_requirements,
            signature=signature,
            input_example=input_example,
            registered_model_name=registry_name,
        )
    return run.info.run_id, str(model_info.registered_model_version)


def log_metrics(*, tracking_uri: str, run_id: str, metrics: dict[str, float]) -> None:
    """Add metrics measured after registration to a run."""
    mlflow_client = client(tracking_uri)
    for name, value in metrics.items():
        mlflow_client.log_metric(run_id, name, value)


def set_alias(*, tracking_uri: str, registry_name: str, alias: str, version: str) -> None:
    """Point ``alias`` of ``registry_name`` at ``version`` (moving it if it pointed elsewhere)."""
    client(tracking_uri).set_registered_model_alias(registry_name, alias, version)


def alias_version(*, tracking_uri: str, registry_name: str, alias: str) -> str | None:
    """Version currently behind ``alias``, or None when the model or the alias does not exist."""
    mlflow_client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        registered = mlflow_client.get_registered_model(registry_name)
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise
    version = registered.aliases.get(alias)
    return None if version is None else str(version)


def load_wrapper(
    wrapper_type: type[Wrapper], *, tracking_uri: str, registry_name: str, version: str
) -> Wrapper:
    """Load one registered version and return its pyfunc wrapper, checked to be a ``wrapper_type``."""
    client(tracking_uri)
    wrapper = mlflow.pyfunc.load_model(f"models:/{registry_name}/{version}").unwrap_python_model()
    if not isinstance(wrapper, wrapper_type):
        raise TypeError(f"{registry_name} version {version} is not a {wrapper_type.__name__}")
    return wrapper


def resolve_alias(*, tracking_uri: str, registry_name: str, alias: str) -> str:
    """The version behind ``alias``; raises LookupError when the model or the alias does not exist.

    Callers load this resolved version rather than ``models:/name@alias`` so the version they report
    matches what they loaded even if the alias moves in between.
    """
    version = alias_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    if version is None:
        raise LookupError(f"registered model {registry_name!r} has no {alias!r} alias at {tracking_uri}")
    return version
