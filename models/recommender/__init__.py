"""The course recommender's public entry points, for tools outside the package (benchmarks).

Imported lazily, so that ``import models.recommender.model`` (serving, evaluation) never loads MLflow
through this package's ``__init__``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALSParams", "train_course_recommender"]


def __getattr__(name: str) -> Any:
    if name == "train_course_recommender":
        from models.recommender.train import train_course_recommender

        return train_course_recommender
    if name == "ALSParams":
        from models.recommender.model import ALSParams

        return ALSParams
    raise AttributeError(name)
