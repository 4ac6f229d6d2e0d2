"""The model: calibrated probabilities, reasons from its own contributions, no look-ahead, determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from models.completion_risk import CompletionRiskModel, add_derived, brier, fit_risk, labelled_open
from models.completion_risk.features import FEATURES
from models.completion_risk.model import INPUTS, _inputs
from tests.models.completion_risk.helpers import FAST, simulate


def test_contributions_add_up_to_the_raw_score(fitted: CompletionRiskModel, test_rows: pd.DataFrame) -> None:
    rows = test_rows.loc[test_rows["day_k"] == 60]
    day = fitted.day(60)
    bias, contributions = day.contributions(_inputs(rows))
    assert contributions.shape == (len(rows), len(INPUTS))
    np.testing.assert_allclose(bias + contributions.sum(axis=1), day.raw_score(_inputs(rows)), atol=1e-9)
    # The hidden engagement shows in activity and assessments: those carry the contributions.
    assert np.abs(contributions).sum() > 0


def test_the_model_ranks_later_cohorts(fitted: CompletionRiskModel, test_rows: pd.DataFrame) -> None:
    from models.completion_risk import auc

    rows = test_rows.loc[test_rows["day_k"] == 60]
    assert auc(rows["completed"].astype(bool).to_numpy(), fitted.predict(rows)) > 0.75


def test_calibration_improves_an_underconfident_model_on_held_out_rows(
    train_rows: pd.DataFrame, test_rows: pd.DataFrame
) -> None:
    # A few small steps leave every score near the base rate; the calibration learns the spread on the
    # held-out folds' scores.
    timid = replace(FAST, learning_rate=0.02, max_iter=15)
    model = fit_risk(train_rows, [60], timid)
    rows = test_rows.loc[test_rows["day_k"] == 60]
    labels = rows["completed"].astype(bool).to_numpy()
    calibrated, raw = brier(labels, model.predict(rows)), brier(labels, model.predict(rows, calibrated=False))
    assert calibrated < raw - 0.01, (calibrated, raw)
    platt = fit_risk(train_rows, [60], replace(timid, calibration="platt"))
    assert brier(labels, platt.predict(rows)) < raw - 0.01


def test_a_reason_follows_its_feature(fitted: CompletionRiskModel, test_rows: pd.DataFrame) -> None:
    rows = test_rows.loc[test_rows["day_k"] == 60].reset_index(drop=True)
    # The derived features (the share of recent activity, against the cohort) follow the edited values.
    idle = add_derived(
        rows.assign(days_since_last_activity=60.0, events_last_7_days=0.0, events_last_14_days=0.0)
    )
    reasons = fitted.reasons(idle)
    texts = [{reason.text for reason in row} for row in reasons]
    idle_words = {
        "no activity for 60 days",
        "0 actions in the last 14 days",
        "0% of the activity in the last 14 days",
    }
    assert sum(bool(idle_words & row) for row in texts) > len(rows) / 2
    for row in reasons:
        assert all(reason.contribution < 0 for reason in row)
        assert [reason.contribution for reason in row] == sorted(reason.contribution for reason in row)
        assert len({reason.text for reason in row}) == len(row)
    # The same learners, active yesterday: the words follow the value, and inactivity weighs far less.
    active = add_derived(
        idle.assign(
            days_since_last_activity=1.0,
            events_last_7_days=60.0,
            events_last_14_days=120.0,
            event_count=np.maximum(idle["event_count"], 120.0),
        )
    )
    assert not any(
        reason.text == "no activity for 60 days" for row in fitted.reasons(active) for reason in row
    )
    recency = [
        list(INPUTS).index(name)
        for name in (
            "days_since_last_activity",
            "events_last_7_days",
            "events_last_14_days",
            "recent_share",
            "last_7_days_vs_cohort",
            "last_14_days_vs_cohort",
        )
    ]
    _, idle_contributions = fitted.day(60).contributions(_inputs(idle))
    _, active_contributions = fitted.day(60).contributions(_inputs(active))
    assert (
        active_contributions[:, recency].sum(axis=1) > idle_contributions[:, recency].sum(axis=1)
    ).mean() > 0.75
    assert (
        active_contributions[:, recency].sum(axis=1).mean()
        > idle_contributions[:, recency].sum(axis=1).mean() + 0.01
    )


def test_features_come_from_day_k_only(train_rows: pd.DataFrame) -> None:
    # Changing what happens after day 30 changes neither day 30's derived features nor day 30's model.
    later = train_rows.copy()
    after = later["day_k"] > 30
    later.loc[after, "click_count"] = 0.0
    later.loc[after, "mean_score"] = 0.0
    later.loc[after, "completed"] = ~later.loc[after, "completed"].astype(bool)
    before = train_rows.loc[train_rows["day_k"] <= 30].reset_index(drop=True)
    changed = later.loc[later["day_k"] <= 30].reset_index(drop=True)
    pd.testing.assert_frame_equal(add_derived(before)[list(FEATURES)], add_derived(changed)[list(FEATURES)])
    first, second = fit_risk(train_rows, [30], FAST), fit_risk(later, [30], FAST)
    probe = train_rows.loc[train_rows["day_k"] == 30]
    np.testing.assert_array_equal(first.predict(probe), second.predict(probe))


def test_training_is_deterministic_for_a_seed(train_rows: pd.DataFrame, test_rows: pd.DataFrame) -> None:
    rows = test_rows.loc[test_rows["day_k"] == 30]
    first, second = fit_risk(train_rows, [30], FAST), fit_risk(train_rows, [30], FAST)
    np.testing.assert_array_equal(first.predict(rows), second.predict(rows))
    other = fit_risk(train_rows, [30], replace(FAST, seed=1))
    assert not np.array_equal(first.predict(rows), other.predict(rows))


def test_rows_no_longer_open_are_left_out() -> None:
    frame = simulate(60, 3, date(2025, 2, 1))
    frame.loc[0, "is_finished"] = True
    rows = labelled_open(frame)
    assert not rows["is_unregistered"].any()
    assert not rows["is_finished"].any()
    expected = (~frame["is_unregistered"] & ~frame["is_finished"] & frame["completed"].notna()).sum()
    assert len(rows) == expected < len(frame)


def test_recency_features_compare_with_the_run_on_the_same_day() -> None:
    frame = simulate(4, 5, date(2025, 2, 1), cohorts=1)
    rows = frame.loc[frame["day_k"] == 30].reset_index(drop=True)
    rows["event_count"] = [40.0, 10.0, 0.0, float("nan")]
    rows["events_last_7_days"] = [4.0, 0.0, 0.0, float("nan")]
    rows["events_last_14_days"] = [10.0, 5.0, 0.0, float("nan")]
    derived = add_derived(rows)
    # A quarter and a half of the activity in the last 14 days; none at all, or no click data: missing.
    np.testing.assert_allclose(derived["recent_share"], [0.25, 0.5, np.nan, np.nan])
    # Over the run's median at day 30 (of 4, 0, 0 and of 10, 5, 0; missing data left out), plus one each.
    np.testing.assert_allclose(derived["last_7_days_vs_cohort"], [5.0, 1.0, 1.0, np.nan])
    np.testing.assert_allclose(derived["last_14_days_vs_cohort"], [11 / 6, 1.0, 1 / 6, np.nan])


def test_rows_with_nothing_due_yet_are_not_read_as_missed_assessments(
    fitted: CompletionRiskModel, test_rows: pd.DataFrame
) -> None:
    # Every training run had assessments due by day 60; here a later run's first assessment is not due yet.
    # Its learners have submitted nothing and have no score, which for a model reading the assessment
    # features looks like missing every assessment: it would call the whole cohort at risk.
    rows = test_rows.loc[test_rows["day_k"] == 60].reset_index(drop=True)
    none_due = add_derived(
        rows.assign(
            assessments_due=0.0,
            assessments_submitted=0.0,
            assessments_submitted_late=0.0,
            assessments_missed=0.0,
            mean_score=np.nan,
            last_score=np.nan,
            score_trend=np.nan,
            weighted_score=np.nan,
        )
    )
    labels = none_due["completed"].astype(bool).to_numpy()
    predicted = fitted.predict(none_due)
    assert abs(predicted.mean() - labels.mean()) < 0.08, (predicted.mean(), labels.mean())
    from models.completion_risk import auc

    assert auc(labels, predicted) > 0.7
    assessment_words = ("assessment", "score", "due")
    assert not any(
        word in reason.text for row in fitted.reasons(none_due) for reason in row for word in assessment_words
    )
    # Rows with assessments due are still scored by the model that reads them.
    np.testing.assert_allclose(fitted.predict(rows), fitted.day(60).probability(_inputs(rows)))
