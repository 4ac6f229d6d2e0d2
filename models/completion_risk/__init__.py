"""Completion risk: P(an enrollment completes) at day k of its course run, calibrated, with reasons."""

from models.completion_risk.evaluate import (
    DEFAULT_DAYS,
    auc,
    brier,
    calibration_table,
    evaluate_completion_risk,
    labelled_open,
)
from models.completion_risk.features import FEATURES, GROUPS, add_derived, read_features, scorable
from models.completion_risk.model import (
    DEFAULT_PARAMS,
    MODEL_NAME,
    CompletionRiskModel,
    DayModel,
    RiskParams,
    fit_day,
    fit_risk,
)
from models.completion_risk.reasons import Reason, describe

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_PARAMS",
    "FEATURES",
    "GROUPS",
    "MODEL_NAME",
    "CompletionRiskModel",
    "DayModel",
    "Reason",
    "RiskParams",
    "add_derived",
    "auc",
    "brier",
    "calibration_table",
    "describe",
    "evaluate_completion_risk",
    "fit_day",
    "fit_risk",
    "labelled_open",
    "read_features",
    "scorable",
]
