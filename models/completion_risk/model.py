"""The completion-risk model: gradient-boosted trees per grid day, cross-fitted on the training cohorts and
calibrated on their out-of-fold predictions, with each prediction's per-feature contributions read from the
trees themselves.

The model of day k learns from the training cohorts' rows at every grid day up to k (day k is a feature):
the earlier days add examples of the same enrollments at other stages, all measured at their own day.
The training enrollments are split into folds (by enrollment, so one learner's rows never straddle a fold):
each fold's trees learn from the other folds, stop at the round with the lowest log loss on the fold's own
day-k rows, and score those rows. The day's prediction averages the folds' raw scores; the calibration
(isotonic, or Platt) is fitted on the out-of-fold scores, so every training enrollment serves once as
validation and nothing of the test cohorts is seen.

Contributions are path attributions (Saabas): along the path a row takes through a tree, each split moves
the expected raw score from the node's expectation to the child's, and that change is credited to the
split's feature. A node's expectation is the training-count-weighted mean of the leaves under it (the
expectation TreeSHAP uses). Per row, the bias plus the contributions equals the model's raw score exactly,
so reasons are the model's own arithmetic, not a separate rule. Calibration is a monotone map of the raw
score: it changes probabilities, never which features pushed a prediction which way.

Each day also has a second model fitted on the same rows without the assessment features
(``features.ASSESSMENT_FEATURES``): it scores the rows at whose day nothing had fallen due yet. A model that
reads them learns "nothing submitted, no score" from learners who had something due and did not submit;
where a course's first assessment comes later than every training course's, that reading would call its
whole cohort at risk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models.completion_risk.features import FEATURES, design, nothing_due
from models.completion_risk.reasons import Reason, describe, merge

MODEL_NAME = "hgb-crossfit-path-contributions"
# The model's inputs: the features, then the grid day (context shared by all of a day's rows, never a reason).
INPUTS = (*FEATURES, "day_k")


@dataclass(frozen=True)
class RiskParams:
    """Hyper-parameters (one set for every dataset: nothing here is tuned to one presentation; the number
    of boosting rounds is chosen per fold on the training cohorts' own validation rows)."""

    learning_rate: float = 0.05
    max_iter: int = 250
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    folds: int = 5  # members averaged; 1 = one model whose held-out fifth stops and calibrates it
    calibration: str = "platt"  # or "isotonic"
    pool_days: bool = True  # day k's model also learns from the grid days before k
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
            np.isnan(value),
            nodes["missing_go_to_left"][at_node].astype(bool),
            value <= nodes["num_threshold"][at_node],
        )
        child = np.where(goes_left, nodes["left"][at_node], nodes["right"][at_node]).astype(np.int64)
        np.add.at(contributions, (at_rows, feature), expected[child] - expected[at_node])
        node[active] = child
        active = ~nodes["is_leaf"][node].astype(bool)
    return float(expected[0]), contributions


def _inputs(frame: pd.DataFrame, assessments: bool = True) -> np.ndarray:
    return np.column_stack(
        [design(frame, assessments=assessments), frame["day_k"].to_numpy(dtype=np.float64)]
    )


def _sigmoid(raw: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-raw))


def _log_loss(labels: np.ndarray, raw: np.ndarray) -> float:
    p = np.clip(_sigmoid(raw), 1e-12, 1 - 1e-12)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


@dataclass
class DayModel:
    """The model of one grid day: the folds' boosted trees, each with the calibration of its raw score
    fitted on its own held-out fold (a calibration sees the scores it was fitted on: one fold's, not the
    folds' mean, which is less extreme)."""

    day_k: int
    members: list[HistGradientBoostingClassifier]
    calibrators: list[IsotonicRegression | LogisticRegression] | None
    # Each member's raw scores and labels on its held-out day-k rows, kept so that another calibration
    # can be fitted without new trees (the training-only comparison of calibrations uses it).
    held_out: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)
    # Whether the trees read the assessment features (``features.design``).
    assessments: bool = True

    def recalibrated(self, method: str) -> DayModel:
        """The same trees with ``method``'s calibration fitted on the same held-out rows."""
        calibrators = [_fit_calibrator(method, raw, labels) for raw, labels in self.held_out]
        return DayModel(self.day_k, self.members, calibrators, self.held_out, self.assessments)

    def inputs(self, frame: pd.DataFrame) -> np.ndarray:
        """The input matrix of ``frame``'s rows as these trees read it."""
        return _inputs(frame, self.assessments)

    def raw_score(self, x: np.ndarray) -> np.ndarray:
        """The mean of the folds' log-odds of completing."""
        return np.mean([member.decision_function(x) for member in self.members], axis=0).astype(np.float64)

    def probability(self, x: np.ndarray, *, calibrated: bool = True) -> np.ndarray:
        """P(completes): the mean of the folds' calibrated probabilities (the mean raw score's sigmoid when
        uncalibrated)."""
        if not calibrated or self.calibrators is None:
            return _sigmoid(self.raw_score(x))
        return np.mean(
            [
                _calibrate(calibrator, np.asarray(member.decision_function(x), dtype=np.float64))
                for member, calibrator in zip(self.members, self.calibrators, strict=True)
            ],
            axis=0,
        )

    def contributions(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Bias and per-input contributions to the raw score; ``bias + row.sum() == raw_score`` per row."""
        bias, total = 0.0, np.zeros_like(x)
        for member in self.members:
            # Private on purpose: scikit-learn 1.9.1 (pinned in pyproject.toml and constraints.txt) has no
            # public per-prediction contribution output for HistGradientBoosting* (no pred_contrib, no
            # TreeSHAP) and `shap` is not installed, so the fitted trees' own arrays are read. Before the
            # pin moves, tests/models/completion_risk/test_model.py (bias + contributions == raw score)
            # must pass on the new scikit-learn.
            bias += float(np.ravel(member._baseline_prediction)[0])
            for (predictor,) in member._predictors:
                root, per_tree = _path_contributions(predictor.nodes, x)
                bias += root
                total += per_tree
        return bias / len(self.members), total / len(self.members)


@dataclass
class CompletionRiskModel:
    """One calibrated model per grid day; predicts P(completes) and says why."""

    params: RiskParams
    days: dict[int, DayModel] = field(default_factory=dict)
    # Per day, the model without the assessment features that scores the rows with nothing due yet. None in
    # models saved before it existed: ``days`` then scores every row.
    unassessed: dict[int, DayModel] | None = None

    def day(self, day_k: int) -> DayModel:
        if day_k not in self.days:
            raise ValueError(f"no model for day {day_k}; trained days: {sorted(self.days)}")
        return self.days[day_k]

    def _parts(self, frame: pd.DataFrame) -> Iterator[tuple[DayModel, np.ndarray]]:
        """Each day model with the positions of the rows it scores."""
        for day_k, rows in frame.groupby("day_k").indices.items():
            full = self.day(int(day_k))
            unassessed = (self.unassessed or {}).get(int(day_k))
            if unassessed is None:
                yield full, rows
                continue
            none_due = nothing_due(frame.iloc[rows])
            for model, part in ((full, rows[~none_due]), (unassessed, rows[none_due])):
                if len(part):
                    yield model, part

    def predict(self, frame: pd.DataFrame, *, calibrated: bool = True) -> np.ndarray:
        """P(completes) for each row (rows of trained days, with the features ``add_derived`` adds)."""
        out = np.empty(len(frame), dtype=np.float64)
        for model, rows in self._parts(frame):
            out[rows] = model.probability(model.inputs(frame.iloc[rows]), calibrated=calibrated)
        return out

    def reasons(self, frame: pd.DataFrame, top: int = 3) -> list[list[Reason]]:
        """Per row, the features that lowered its chance of completing most, in plain words (none when no
        feature lowered it); features saying the same thing make one reason, their contributions summed."""
        out: list[list[Reason]] = [[] for _ in range(len(frame))]
        for model, rows in self._parts(frame):
            subset = frame.iloc[rows]
            _, contributions = model.contributions(model.inputs(subset))
            contributions = contributions[:, : len(FEATURES)]
            for position, row_index in enumerate(rows):
                row = subset.iloc[position]
                order = np.argsort(contributions[position], kind="stable")
                lowering = [
                    describe(FEATURES[feature], row, float(contributions[position, feature]))
                    for feature in order
                    if contributions[position, feature] < 0
                ]
                out[row_index] = merge(lowering)[:top]
        return out


def _calibrate(calibrator: IsotonicRegression | LogisticRegression, raw: np.ndarray) -> np.ndarray:
    if isinstance(calibrator, IsotonicRegression):
        return np.asarray(calibrator.predict(raw), dtype=np.float64)
    return np.asarray(calibrator.predict_proba(raw.reshape(-1, 1))[:, 1], dtype=np.float64)


def _fit_calibrator(
    method: str, raw: np.ndarray, labels: np.ndarray
) -> IsotonicRegression | LogisticRegression:
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, labels)
    if method == "platt":
        return LogisticRegression().fit(raw.reshape(-1, 1), labels)
    raise ValueError(f"unknown calibration {method!r}: isotonic or platt")


def _fit_member(
    x: np.ndarray, labels: np.ndarray, fit_rows: np.ndarray, stop_rows: np.ndarray, params: RiskParams
) -> HistGradientBoostingClassifier:
    """Trees on ``fit_rows``, cut back to the round with the lowest log loss on ``stop_rows``."""
    fit_x = x[fit_rows]
    # A feature the data never has (no lessons, no clicks) is constant for the trees, never a split.
    fit_x[:, np.isnan(fit_x).all(axis=0)] = 0.0
    trees = HistGradientBoostingClassifier(
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        early_stopping=False,
        random_state=params.seed,
    ).fit(fit_x, labels[fit_rows])
    losses = [_log_loss(labels[stop_rows], raw) for raw in trees.staged_decision_function(x[stop_rows])]
    best = int(np.argmin(losses)) + 1
    # Keep the first ``best`` rounds: the fitted trees are the same ones a fit of ``best`` rounds makes.
    # Private (pinned scikit-learn 1.9.1): its public early stopping scores every row of the stop set
    # alike, not day k's rows, and there is no public way to truncate a fitted model.
    trees._predictors = trees._predictors[:best]
    return trees


def fit_day(
    frame: pd.DataFrame,
    day_k: int,
    params: RiskParams = DEFAULT_PARAMS,
    *,
    calibrated: bool = True,
    assessments: bool = True,
) -> DayModel:
    """Fit day k's model on labelled, still-open training rows (with the derived features) of days <= k;
    without ``assessments``, on the same rows with the assessment features hidden."""
    days = frame["day_k"] <= day_k if params.pool_days else frame["day_k"] == day_k
    rows = frame.loc[days].reset_index(drop=True)
    labels = rows["completed"].astype(bool).to_numpy()
    at_day = (rows["day_k"] == day_k).to_numpy()
    if len(np.unique(labels[at_day])) < 2:
        raise ValueError(f"day {day_k}: the training rows need both completions and non-completions")
    enrollments = np.sort(rows["enrollment_id"].unique())
    order = np.random.default_rng(params.seed).permutation(len(enrollments))
    # One member still holds out a fifth (the split of 5 folds, first fold only) to stop and calibrate on.
    splits = max(params.folds, 5) if params.folds == 1 else params.folds
    fold_of = pd.Series(order % splits, index=enrollments)
    fold = rows["enrollment_id"].map(fold_of).to_numpy()
    x = _inputs(rows, assessments)
    members, calibrators, held_out = [], [], []
    for k in range(params.folds):
        held = fold == k
        stop = held & at_day
        if len(np.unique(labels[stop])) < 2:
            stop = held
        member = _fit_member(x, labels, ~held, stop, params)
        members.append(member)
        raw = np.asarray(member.decision_function(x[stop]), dtype=np.float64)
        calibrators.append(_fit_calibrator(params.calibration, raw, labels[stop]))
        held_out.append((raw, labels[stop]))
    return DayModel(
        day_k=day_k,
        members=members,
        calibrators=calibrators if calibrated else None,
        held_out=held_out,
        assessments=assessments,
    )


def fit_risk(
    frame: pd.DataFrame,
    days: list[int],
    params: RiskParams = DEFAULT_PARAMS,
    *,
    calibrated: bool = True,
    unassessed: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> CompletionRiskModel:
    """One calibrated model per day of ``days`` from the labelled, still-open training rows, and with
    ``unassessed`` its twin without the assessment features for the rows with nothing due yet."""
    model = CompletionRiskModel(params=params, unassessed={} if unassessed else None)
    for day_k in days:
        model.days[day_k] = fit_day(frame, day_k, params, calibrated=calibrated)
        rounds = [member.n_iter_ for member in model.days[day_k].members]
        progress(f"day {day_k}: {len(rounds)} folds, boosting rounds {rounds}")
        if model.unassessed is not None:
            twin = fit_day(frame, day_k, params, calibrated=calibrated, assessments=False)
            model.unassessed[day_k] = twin
            progress(f"day {day_k} without assessments: rounds {[m.n_iter_ for m in twin.members]}")
    return model
