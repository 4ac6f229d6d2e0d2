"""The completion-risk model in MLflow: log a training run, register its model, move aliases, load a version.

With ``train`` the only completion-risk module that talks to MLflow; the pipeline's scoring loads the
champion through this module and never imports the training code. The plumbing is models.common.registry.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import sklearn
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema

from models.common import registry as common
from models.common.registry import set_alias
from models.completion_risk.model import INPUTS, CompletionRiskModel

__all__ = ["champion_version", "load_champion", "load_version", "log_and_register", "set_alias"]

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

    def write(folder: Path) -> dict[str, Path]:
        with (folder / "completion_risk.pkl").open("wb") as file:
            pickle.dump(model, file)
        return {"completion_risk": folder / "completion_risk.pkl"}

    return common.log_and_register(
        CompletionRiskPyfunc(),
        write,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        experiment_name=experiment_name,
        params=params,
        metrics=metrics,
        tags=tags,
        pip_requirements=_pip_requirements(),
        signature=SIGNATURE,
    )


def champion_version(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> str | None:
    """Version currently behind ``alias``, or None when the model or the alias does not exist."""
    return common.alias_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)


def load_version(*, tracking_uri: str, registry_name: str, version: str) -> CompletionRiskModel:
    """Load one registered version of the completion-risk model."""
    return common.load_wrapper(
        CompletionRiskPyfunc, tracking_uri=tracking_uri, registry_name=registry_name, version=version
    ).model


def load_champion(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> tuple[CompletionRiskModel, str]:
    """Load the model behind ``alias`` and return it with its version.

    Raises
    ------
    LookupError
        If the registered model or the alias does not exist.
    """
    version = common.resolve_alias(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    return load_version(tracking_uri=tracking_uri, registry_name=registry_name, version=version), version
