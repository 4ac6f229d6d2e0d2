"""Plain words for a feature's contribution to a prediction: what the learner's own value was."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reason:
    """One feature that lowered the chance of completing: its value, its log-odds contribution, the words."""

    feature: str
    value: float | None
    contribution: float
    text: str


def _number(row: Any, name: str) -> float | None:
    value = row.get(name)
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _count(value: float, noun: str) -> str:
    whole = round(value)
    return f"{whole} {noun}" if whole == 1 else f"{whole} {noun}s"


# Features whose words are one template around their value: a share, or a count of a noun.
_SHARES = {
    "mean_score": "mean score {}",
    "last_score": "last score {}",
    "weighted_score": "weighted score {}",
    "progress_share": "{} of the course completed",
}
_COUNTS = {
    "assessments_due": ("{} due so far", "assessment"),
    "assessments_submitted_late": ("{} submitted late", "assessment"),
    "events_last_7_days": ("{} in the last 7 days", "action"),
    "events_last_14_days": ("{} in the last 14 days", "action"),
    "event_count": ("{} so far", "action"),
    "click_count": ("{} so far", "action"),
    "active_days": ("active on {} so far", "day"),
    "longest_streak_days": ("longest streak {}", "day"),
    "current_streak_days": ("current streak {}", "day"),
    "lessons_completed": ("{} completed", "lesson"),
}


def _text(feature: str, row: Any, value: float | None) -> str:  # noqa: PLR0911, PLR0912
    if feature == "days_since_last_activity":
        return "no activity recorded yet" if value is None else f"no activity for {_count(value, 'day')}"
    if value is None:
        if feature in {"mean_score", "last_score", "score_vs_cohort", "score_trend"}:
            return "no graded assessment yet"
        if feature == "weighted_score":
            return "no weighted assessment graded yet"
        if feature in {"missed_share", "submitted_share"}:
            return "no assessment due yet"
        if feature == "late_share":
            return "no assessment submitted yet"
        if feature == "recent_share" and _number(row, "event_count") == 0:
            return "no activity recorded yet"
        return "activity not tracked for this course"
    if feature in {"assessments_missed", "missed_share", "submitted_share"}:
        missed, due = _number(row, "assessments_missed") or 0.0, _number(row, "assessments_due") or 0.0
        return f"{round(missed)} of {_count(due, 'assessment')} due not submitted"
    if feature == "assessments_submitted":
        due = _number(row, "assessments_due") or 0.0
        return f"{round(value)} of {_count(due, 'assessment')} due submitted"
    if feature == "late_share":
        submitted = _number(row, "assessments_submitted") or 0.0
        late = _number(row, "assessments_submitted_late") or 0.0
        return f"{round(late)} of {_count(submitted, 'assessment')} submitted late"
    if feature in _SHARES:
        return _SHARES[feature].format(f"{value:.0%}")
    if feature in _COUNTS:
        template, noun = _COUNTS[feature]
        return template.format(_count(value, noun))
    if feature == "score_trend":
        return "scores falling" if value < 0 else "scores not rising" if value == 0 else "scores rising"
    if feature == "score_vs_cohort":
        side = "below" if value < 0 else "above"
        return f"mean score {abs(value):.0%} {side} the course's median"
    if feature == "recent_share":
        return f"{value:.0%} of the activity in the last 14 days"
    if feature in {"last_7_days_vs_cohort", "last_14_days_vs_cohort"}:
        days = 7 if feature == "last_7_days_vs_cohort" else 14
        return f"activity in the last {days} days {value:.1f}× the course's median"
    if feature in {"clicks_vs_cohort", "active_days_vs_cohort"}:
        what = "activity" if feature == "clicks_vs_cohort" else "active days"
        return f"{what} {value:.1f}× the course's median"
    if feature == "days_registered_before_start":
        if value < 0:
            return f"registered {_count(-value, 'day')} after the start"
        return f"registered {_count(value, 'day')} before the start"
    return f"{feature.replace('_', ' ')} {value:g}"


def merge(reasons: list[Reason]) -> list[Reason]:
    """One reason per text: features saying the same thing (missed count and missed share) add up, and the
    merged reasons keep the order of their contributions, most negative first."""
    merged: dict[str, Reason] = {}
    for reason in reasons:
        if reason.text in merged:
            first = merged[reason.text]
            merged[reason.text] = Reason(
                first.feature, first.value, first.contribution + reason.contribution, first.text
            )
        else:
            merged[reason.text] = reason
    return sorted(merged.values(), key=lambda reason: reason.contribution)


def describe(feature: str, row: Any, contribution: float) -> Reason:
    """The reason for ``feature`` of ``row`` (a mapping of feature values), with its contribution."""
    value = _number(row, feature)
    return Reason(feature=feature, value=value, contribution=contribution, text=_text(feature, row, value))
