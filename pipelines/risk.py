"""Completion risk for tools outside Dagster (benchmarks, the demo): train and register, score and store."""

from __future__ import annotations

from models.completion_risk.train import NotEnoughHistory, TrainingResult, train_completion_risk
from pipelines.defs.risk.store import ScoringResult, score_active_enrollments

__all__ = [
    "NotEnoughHistory",
    "ScoringResult",
    "TrainingResult",
    "score_active_enrollments",
    "train_completion_risk",
]
