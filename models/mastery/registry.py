"""The mastery model in MLflow: log a training run, register its model, move aliases, load a version.

With ``train`` the only mastery module that talks to MLflow; serving and the online update load the
champion through this module and never import the training code. The plumbing is models.common.registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import scipy
import sklearn
import torch
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema

from models.common import registry as common
from models.common.registry import log_metrics, set_alias
from models.mastery.model import MasteryModel

__all__ = [
    "champion_version", "load_champion", "load_version", "log_and_register", "log_metrics", "set_alias"
]  # fmt: skip

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

    def write(folder: Path) -> dict[str, Path]:
        model.save(folder / "mastery.npz")
        return {"mastery": folder / "mastery.npz"}

    return common.log_and_register(
        SkillMasteryModel(),
        write,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        experiment_name=experiment_name,
        params=params,
        metrics=metrics,
        tags=tags,
        pip_requirements=_pip_requirements(),
        signature=SIGNATURE,
        input_example=input_example,
    )


def champion_version(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> str | None:
    """Version currently behind ``alias``, or None when the model or the alias does not exist."""
    return common.alias_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)


def load_version(*, tracking_uri: str, registry_name: str, version: str) -> MasteryModel:
    """Load one registered version of the mastery model."""
    return common.load_wrapper(
        SkillMasteryModel, tracking_uri=tracking_uri, registry_name=registry_name, version=version
    ).tracer


def load_champion(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> tuple[MasteryModel, str]:
    """Load the mastery model behind ``alias`` and return it with its version.

    Raises
    ------
    LookupError
        If the registered model or the alias does not exist.
    """
    version = common.resolve_alias(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    return load_version(tracking_uri=tracking_uri, registry_name=registry_name, version=version), version
