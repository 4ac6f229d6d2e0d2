"""Scoring the enrollments still open today: each at its latest grid day, with a risk band and its reasons.

An open enrollment (no outcome yet, not unregistered, not finished) is scored on the mart's row of the last
grid day it has reached, by the model of that day; a day the model was not trained for (a grid day with no
labelled history yet) is scored by the model of the nearest trained day before it, or the first trained
day when there is none before. Cohort-relative features compare the enrollment with everyone who was still
open in its course run at the same day k, exactly as in training.

Risk is ``1 - P(completes)``; the bands are fixed cut-offs of that calibrated probability, the same for every
course, so that "high" means the same thing to every instructor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.completion_risk.features import add_derived, scorable
from models.completion_risk.model import CompletionRiskModel

HIGH_RISK = 0.6  # at least a 60% chance of not completing
MEDIUM_RISK = 0.35
BANDS = ("low", "medium", "high")
SCORE_COLUMNS = ("enrollment_id", "course_id", "day_k", "model_day", "probability", "risk", "band", "reasons")


def band_of(risk: np.ndarray) -> np.ndarray:
    """``low`` / ``medium`` / ``high`` per risk (``1 - P(completes)``)."""
    risk = np.asarray(risk, dtype=np.float64)
    return np.where(risk >= HIGH_RISK, "high", np.where(risk >= MEDIUM_RISK, "medium", "low"))


def open_latest(frame: pd.DataFrame) -> pd.DataFrame:
    """Each open enrollment's row at its latest grid day, with the derived features.

    ``frame``: the mart's rows (``read_features``) of every grid day; enrollments with an outcome still
    count in their cohort's medians at the days they were open, and are not returned.
    """
    latest = frame.loc[frame["completed"].isna()].groupby("enrollment_id", sort=False)["day_k"].max()
    rows = add_derived(scorable(frame))
    # Open at its latest day only: one that unregistered since its last open day is not scored.
    reached = rows["enrollment_id"].map(latest)
    return rows.loc[rows["day_k"] == reached].reset_index(drop=True)


def model_day_for(day_k: np.ndarray, trained: list[int]) -> np.ndarray:
    """The trained day whose model scores a row of ``day_k``: the nearest at or before it, else the first."""
    days = np.sort(np.asarray(trained, dtype=np.int64))
    index = np.searchsorted(days, np.asarray(day_k, dtype=np.int64), side="right") - 1
    return days[np.clip(index, 0, len(days) - 1)]


def score_open(model: CompletionRiskModel, frame: pd.DataFrame, *, top: int = 3) -> pd.DataFrame:
    """One row per open enrollment: ``SCORE_COLUMNS``, ``reasons`` a list of ``{feature, value,
    contribution, text}`` (the features that lowered its chance most, in plain words), riskiest first."""
    rows = open_latest(frame)
    if rows.empty:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    reached = rows["day_k"].to_numpy(dtype=np.int64)
    model_days = model_day_for(reached, sorted(model.days))
    # The day is one of the model's inputs: a row is scored as the model of its day sees its own rows.
    scored = rows.assign(day_k=model_days)
    probability = model.predict(scored)
    reasons = model.reasons(scored, top=top)
    risk = 1.0 - probability
    out = pd.DataFrame(
        {
            "enrollment_id": rows["enrollment_id"].astype(str),
            "course_id": rows["course_id"].astype(str),
            "day_k": reached,
            "model_day": model_days,
            "probability": probability,
            "risk": risk,
            "band": band_of(risk),
            "reasons": [[_reason(reason) for reason in row] for row in reasons],
        }
    )
    return out.sort_values(["risk", "enrollment_id"], ascending=[False, True]).reset_index(drop=True)


def _reason(reason: Any) -> dict[str, Any]:
    return {
        "feature": reason.feature,
        "value": reason.value,
        "contribution": round(float(reason.contribution), 4),
        "text": reason.text,
    }
