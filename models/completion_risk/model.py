"""The completion-risk model: gradient-boosted trees per grid day, calibrated on a validation slice of the
training cohorts, with each prediction's per-feature contributions read from the trees themselves.

Contributions are path attributions (Saabas): along the path a row takes through a tree, each split moves
the expected raw score from the node's expectation to the child's, and that change is credited to the
split's feature. A node's expectation is the training-count-weighted mean of the leaves under it (the same
expectation TreeSHAP uses). Per row, the bias plus the contributions equals the model's raw score exactly,
so reasons are the model's own arithmetic, not a separate rule. Calibration is a monotone map of the raw
score: it changes probabilities, never which features pushed a prediction which way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models.completion_risk.features import FEATURES, design
from models.completion_risk.reasons import Reason, describe

MODEL_NAME = "hgb-path-contributions"


@dataclass(frozen=True)
class RiskParams:
    """Hyper-parameters (one set for every dataset: nothing here is tuned to one presentation)."""

    learning_rate: float = 0.05
    max_iter: int = 400
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    validation_share: float = 0.2
    calibration: str = "isotonic"  # or "platt"
    seed: int = 0


DEFAULT_PARAMS = RiskParams()


def _node_expectations(nodes: np.ndarray) -> np.ndarray:
    """Each node's expected raw value: leaves' values, averaged bottom-up by training counts."""
    expected = nodes["value"].astype(np.float64).copy()
    # Children have larger indices than their parent in sklearn's predictor arrays: go backwards.
    for index in range(len(nodes) - 1, -1, -1):
        if not nodes["is_leaf"][index]:
            left, right = nodes["left"][index], nodes["right"][index]
            n_left, n_right = float(nodes["count"][left]), float(nodes["count"][right])
            expected[index] = (n_left * expected[left] + n_right * expected[right]) / (n_left + n_right)
    return expected


def _path_contributions(nodes: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """The tree's root expectation and, per row and feature, the changes of expectation along the path."""
    expected = _node_expectations(nodes)
    contributions = np.zeros_like(x)
    rows = np.arange(len(x))
    node = np.zeros(len(x), dtype=np.int64)
    active = ~nodes["is_leaf"][node].astype(bool)
    while active.any():
        at_rows, at_node = rows[active], node[active]
        feature = nodes["feature_idx"][at_node].astype(np.int64)
        value = x[at_rows, feature]
        goes_left = np.where(
            np.isnan(value), nodes["missing_go_to_left"][at_node].astype(bool), value <= nodes["num_threshold"][at_node]
        )
        child = np.where(goes_left, nodes["left"][at_node], nodes["right"][at_node]).astype(np.int64)
        np.add.at(contributions, (at_rows, feature), expected[child] - expected[at_node])
        node[active] = child
        active = ~nodes["is_leaf"][node].astype(bool)
    return float(expected[0]), contributions


@dataclass
class DayModel:
    """The model of one grid day: boosted trees and the calibration of their raw score."""

    day_k: int
    trees: HistGradientBoostingClassifier
    calibrator: IsotonicRegression | LogisticRegression | None

    def raw_score(self, x: np.ndarray) -> np.ndarray:
        """The trees' log-odds of completing."""
        return np.asarray(self.trees.decision_function(x), dtype=np.float64)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """P(completes) from raw scores (the trees' own sigmoid when uncalibrated)."""
        if self.calibrator is None:
            return 1.0 / (1.0 + np.exp(-raw))
        if isinstance(self.calibrator, IsotonicRegression):
            return np.asarray(self.calibrator.predict(raw), dtype=np.float64)
        return np.asarray(self.calibrator.predict_proba(raw.reshape(-1, 1))[:, 1], dtype=np.float64)

    def contributions(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Bias and per-feature contributions to the raw score; ``bias + sum(row) == raw_score``."""
        bias = float(np.ravel(self.trees._baseline_prediction)[0])
        total = np.zeros_like(x)
        for (predictor,) in self.trees._predictors:
            root, per_tree = _path_contributions(predictor.nodes, x)
            bias += root
            total += per_tree
        return bias, total


@dataclass
class CompletionRiskModel:
    """One calibrated model per grid day; predicts P(completes) and says why."""

    params: RiskParams
    days: dict[int, DayModel] = field(default_factory=dict)

    def day(self, day_k: int) -> DayModel:
        if day_k not in self.days:
            raise ValueError(f"no model for day {day_k}; trained days: {sorted(self.days)}")
        return self.days[day_k]

    def predict(self, frame: pd.DataFrame, *, calibrated: bool = True) -> np.ndarray:
        """P(completes) for each row (rows of any trained day, as ``add_derived`` left them)."""
        out = np.empty(len(frame), dtype=np.float64)
        for day_k, rows in frame.groupby("day_k").indices.items():
            model = self.day(int(day_k))
            raw = model.raw_score(design(frame.iloc[rows]))
            out[rows] = model.calibrate(raw) if calibrated else 1.0 / (1.0 + np.exp(-raw))
        return out

    def reasons(self, frame: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
        """Per row, the features that lowered its chance of completing most, in plain words."""
        out: list[list[Reason]] = [[] for _ in range(len(frame))]
        for day_k, rows in frame.groupby("day_k").indices.items():
            subset = frame.iloc[rows]
            _, contributions = self.day(int(day_k)).contributions(design(subset))
            for position, row_index in enumerate(rows):
                row = subset.iloc[position]
                order = np.argsort(contributions[position], kind="stable")
                out[row_index] = [
                    describe(FEATURES[feature], row, float(contributions[position, feature]))
                    for feature in order[:top]
                    if contributions[position, feature] < 0
                ]
        return out


def _fit_calibrator(
    method: str, raw: np.ndarray, labels: np.ndarray
) -> IsotonicRegression | LogisticRegression:
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, labels)
    if method == "platt":
        return LogisticRegression().fit(raw.reshape(-1, 1), labels)
    raise ValueError(f"unknown calibration {method!r}: isotonic or platt")


def fit_day(
    frame: pd.DataFrame, day_k: int, params: RiskParams = DEFAULT_PARAMS, *, calibrated: bool = True
) -> DayModel:
    """Fit day k's trees on most training rows and calibrate them on a held-out slice (by enrollment).

    ``frame`` holds labelled, still-open rows of the training cohorts at ``day_k`` with the derived
    features. The trees stop early on their own share of the fitting rows.
    """
    rows = frame.loc[frame["day_k"] == day_k].reset_index(drop=True)
    labels = rows["completed"].astype(bool).to_numpy()
    if len(np.unique(labels)) < 2:
        raise ValueError(f"day {day_k}: the training rows need both completions and non-completions")
    generator = np.random.default_rng(params.seed)
    held = generator.random(len(rows)) < params.validation_share
    trees = HistGradientBoostingClassifier(
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=30,
        random_state=params.seed,
    )
    x = design(rows)
    trees.fit(x[~held], labels[~held])
    calibrator = None
    if calibrated and len(np.unique(labels[held])) == 2:
        calibrator = _fit_calibrator(params.calibration, np.asarray(trees.decision_function(x[held])), labels[held])
    return DayModel(day_k=day_k, trees=trees, calibrator=calibrator)


def fit_risk(
    frame: pd.DataFrame,
    days: list[int],
    params: RiskParams = DEFAULT_PARAMS,
    *,
    calibrated: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> CompletionRiskModel:
    """One calibrated model per day of ``days`` from the labelled, still-open training rows."""
    model = CompletionRiskModel(params=params)
    for day_k in days:
        model.days[day_k] = fit_day(frame, day_k, params, calibrated=calibrated)
        progress(f"day {day_k}: {model.days[day_k].trees.n_iter_} boosting rounds")
    return model
