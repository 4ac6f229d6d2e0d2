"""Skill mastery: a knowledge tracer that predicts each answer from the learner's earlier ones."""

from models.mastery.baselines import PerformanceFactors, SkillMean, WindowedLogistic
from models.mastery.ensemble import fit_best_lr, fit_ensemble
from models.mastery.evaluate import MODEL_NAME, auc, evaluate_mastery, rmse
from models.mastery.features import (
    LearnerHistory,
    Vocabulary,
    build_vocabulary,
    history_features,
    prepare_responses,
    read_responses,
)
from models.mastery.model import (
    DEFAULT_PARAMS,
    LearnerState,
    MasteryModel,
    MasteryParams,
    SkillMastery,
    fit_mastery,
)

__all__ = [
    "DEFAULT_PARAMS",
    "MODEL_NAME",
    "LearnerHistory",
    "LearnerState",
    "MasteryModel",
    "MasteryParams",
    "PerformanceFactors",
    "SkillMastery",
    "SkillMean",
    "Vocabulary",
    "WindowedLogistic",
    "auc",
    "build_vocabulary",
    "evaluate_mastery",
    "fit_best_lr",
    "fit_ensemble",
    "fit_mastery",
    "history_features",
    "prepare_responses",
    "read_responses",
    "rmse",
]
