"""The course recommender in MLflow: log a training run, register its model, move aliases, load a version.

With ``train`` the only recommender module that talks to MLflow; serving imports this module to load the
champion and never the training code. The plumbing is models.common.registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import implicit
import mlflow
import numpy as np
import pandas as pd
import scipy
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel, PythonModelContext
from mlflow.types import ColSpec, Schema

from models.common import registry as common
from models.common.registry import set_alias
from models.recommender.model import DEFAULT_K, ALSParams, CourseRecommender

__all__ = [
    "champion_version", "load_champion", "load_version", "log_and_register", "set_alias", "version_params"
]  # fmt: skip

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

    def write(folder: Path) -> dict[str, Path]:
        model.save(folder / "recommender.npz")
        return {"recommender": folder / "recommender.npz"}

    return common.log_and_register(
        CourseRecommenderModel(),
        write,
        tracking_uri=tracking_uri,
        registry_name=registry_name,
        experiment_name=experiment_name,
        params=params,
        metrics=metrics,
        tags=tags,
        pip_requirements=_pip_requirements(),
        signature=SIGNATURE,
        input_example=pd.DataFrame({"learner_id": [str(model.learner_ids[0])], "k": [DEFAULT_K]}),
    )


def champion_version(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> str | None:
    """Version currently behind ``alias``, or None when the model or the alias does not exist."""
    return common.alias_version(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)


def load_version(*, tracking_uri: str, registry_name: str, version: str) -> CourseRecommender:
    """Load one registered version of the recommender."""
    return common.load_wrapper(
        CourseRecommenderModel, tracking_uri=tracking_uri, registry_name=registry_name, version=version
    ).recommender


def load_champion(
    *, tracking_uri: str, registry_name: str = DEFAULT_REGISTRY_NAME, alias: str = "champion"
) -> tuple[CourseRecommender, str]:
    """Load the recommender behind ``alias`` and return it with its version.

    Raises
    ------
    LookupError
        If the registered model or the alias does not exist.
    """
    version = common.resolve_alias(tracking_uri=tracking_uri, registry_name=registry_name, alias=alias)
    return load_version(tracking_uri=tracking_uri, registry_name=registry_name, version=version), version


def version_params(*, tracking_uri: str, registry_name: str, version: str) -> ALSParams | None:
    """The hyper-parameters logged by the run that registered ``version``.

    None when the version was registered outside a training run or its run lacks one of them.
    """
    client = common.client(tracking_uri)
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
