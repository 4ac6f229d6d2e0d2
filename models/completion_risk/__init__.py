"""Completion risk: P(an enrollment completes) at day k of its course run, calibrated, with reasons."""

from models.completion_risk.agreement import dropout_auc, truth_agreement, truth_rows
from models.completion_risk.evaluate import (
    DEFAULT_DAYS,
    auc,
    brier,
    calibration_table,
    evaluate_completion_risk,
    labelled_open,
)
from models.completion_risk.features import (
    FEATURES,
    GROUPS,
    add_derived,
    read_features,
    read_truth_dropouts,
    scorable,
)
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
from models.completion_risk.scoring import HIGH_RISK, MEDIUM_RISK, band_of, open_latest, score_open

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_PARAMS",
    "FEATURES",
    "HIGH_RISK",
    "MEDIUM_RISK",
    "GROUPS",
    "MODEL_NAME",
    "CompletionRiskModel",
    "DayModel",
    "Reason",
    "RiskParams",
    "add_derived",
    "auc",
    "band_of",
    "brier",
    "calibration_table",
    "describe",
    "dropout_auc",
    "evaluate_completion_risk",
    "fit_day",
    "fit_risk",
    "labelled_open",
    "open_latest",
    "read_features",
    "read_truth_dropouts",
    "scorable",
    "score_open",
    "truth_agreement",
    "truth_rows",
]
