"""Reasons in plain words, from a feature's value."""

from __future__ import annotations

import pytest

from models.completion_risk import describe
from models.completion_risk.reasons import merge


@pytest.mark.parametrize(
    ("feature", "row", "text"),
    [
        ("days_since_last_activity", {"days_since_last_activity": 12.0}, "no activity for 12 days"),
        ("days_since_last_activity", {"days_since_last_activity": None}, "no activity recorded yet"),
        (
            "assessments_missed",
            {"assessments_missed": 2.0, "assessments_due": 3.0},
            "2 of 3 assessments due not submitted",
        ),
        (
            "missed_share",
            {"missed_share": 0.5, "assessments_missed": 1.0, "assessments_due": 2.0},
            "1 of 2 assessments due not submitted",
        ),
        (
            "submitted_share",
            {"submitted_share": 0.5, "assessments_missed": 1.0, "assessments_due": 2.0},
            "1 of 2 assessments due not submitted",
        ),
        ("submitted_share", {"submitted_share": None}, "no assessment due yet"),
        (
            "late_share",
            {"late_share": 0.5, "assessments_submitted": 4.0, "assessments_submitted_late": 2.0},
            "2 of 4 assessments submitted late",
        ),
        ("late_share", {"late_share": None}, "no assessment submitted yet"),
        ("score_trend", {"score_trend": -0.2}, "scores falling"),
        ("mean_score", {"mean_score": 0.42}, "mean score 42%"),
        ("mean_score", {"mean_score": float("nan")}, "no graded assessment yet"),
        ("events_last_7_days", {"events_last_7_days": 1.0}, "1 action in the last 7 days"),
        ("score_vs_cohort", {"score_vs_cohort": -0.15}, "mean score 15% below the course's median"),
        ("recent_share", {"recent_share": 0.04}, "4% of the activity in the last 14 days"),
        ("recent_share", {"recent_share": None, "event_count": 0.0}, "no activity recorded yet"),
        ("recent_share", {"recent_share": None}, "activity not tracked for this course"),
        (
            "last_7_days_vs_cohort",
            {"last_7_days_vs_cohort": 0.3},
            "activity in the last 7 days 0.3× the course's median",
        ),
        (
            "last_14_days_vs_cohort",
            {"last_14_days_vs_cohort": 0.5},
            "activity in the last 14 days 0.5× the course's median",
        ),
    ],
)
def test_reason_words(feature: str, row: dict[str, float | None], text: str) -> None:
    reason = describe(feature, row, -0.3)
    assert (reason.feature, reason.text, reason.contribution) == (feature, text, -0.3)


def test_features_saying_the_same_thing_are_one_reason() -> None:
    row = {"assessments_missed": 2.0, "assessments_due": 3.0, "missed_share": 2 / 3, "mean_score": 0.5}
    reasons = merge(
        [
            describe("assessments_missed", row, -1.0),
            describe("mean_score", row, -1.2),
            describe("missed_share", row, -0.5),
        ]
    )
    assert [(reason.text, reason.contribution) for reason in reasons] == [
        ("2 of 3 assessments due not submitted", -1.5),
        ("mean score 50%", -1.2),
    ]
