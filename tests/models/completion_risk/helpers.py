"""Synthetic ``fct_enrollment_features`` rows: a hidden engagement per enrollment drives its activity, its
assessments and (through a logistic link) whether it completes, so a model has something real to learn."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from models.completion_risk import RiskParams
from models.completion_risk.features import MART_FEATURES

DAYS = (7, 14, 30, 60)
FAST = RiskParams(max_iter=60, folds=3, min_samples_leaf=20)


def simulate(
    enrollments: int, seed: int, starts_on: date, *, prefix: str = "e", cohorts: int = 2
) -> pd.DataFrame:
    """Rows at ``DAYS`` of ``enrollments`` enrollments in ``cohorts`` runs starting on ``starts_on``."""
    rng = np.random.default_rng(seed)
    engagement = rng.normal(size=enrollments)
    completed = rng.random(enrollments) < 1 / (1 + np.exp(-2.0 * engagement))
    # A fifth drops out (unregisters) at some day; they did not complete.
    leaves_on = np.where(rng.random(enrollments) < 0.2, rng.choice([10, 20, 45], enrollments), 10_000)
    completed &= leaves_on == 10_000
    rows = []
    for index in range(enrollments):
        for day_k in DAYS:
            rate = np.exp(engagement[index]) * 3
            due = day_k // 20
            submitted = min(due, rng.binomial(due, 1 / (1 + np.exp(-engagement[index] - 1))))
            score = float(np.clip(0.6 + 0.15 * engagement[index] + rng.normal(0, 0.1), 0, 1))
            rows.append(
                {
                    "enrollment_id": f"{prefix}{index:05d}",
                    "learner_id": f"{prefix}-learner-{index:05d}",
                    "course_id": f"{prefix}-course",
                    "cohort_id": f"{prefix}-run-{index % cohorts}",
                    "day_k": day_k,
                    "starts_on": pd.Timestamp(starts_on),
                    "as_of_date": starts_on + timedelta(days=day_k),
                    "event_count": rng.poisson(rate * day_k),
                    "click_count": rng.poisson(rate * day_k * 2),
                    "active_days": min(day_k, rng.poisson(rate * day_k / 5)),
                    "events_last_7_days": rng.poisson(rate * 7),
                    "events_last_14_days": rng.poisson(rate * 14),
                    "days_since_last_activity": min(day_k, rng.poisson(np.exp(-engagement[index]) * 4)),
                    "longest_streak_days": rng.poisson(3),
                    "current_streak_days": rng.poisson(1),
                    "lessons_completed": rng.poisson(rate),
                    "progress_share": None,
                    "assessments_due": due,
                    "assessments_submitted": submitted,
                    "assessments_submitted_late": 0,
                    "assessments_missed": due - submitted,
                    "mean_score": score if submitted else None,
                    "last_score": score if submitted else None,
                    "score_trend": float(rng.normal(0, 0.05)) if submitted else None,
                    "weighted_score": score if submitted else None,
                    "days_registered_before_start": int(rng.integers(-5, 60)),
                    "is_unregistered": day_k >= leaves_on[index],
                    "is_finished": False,
                    "has_activity_data": True,
                    "completed": bool(completed[index]),
                    "imd_band": ["0-10%", "10-20%", None][index % 3],
                    "age_band": ["0-35", "35-55"][index % 2],
                    "gender": ["F", "M"][(index // 2) % 2],
                    "disability": None,
                }
            )
    frame = pd.DataFrame(rows)
    for name in MART_FEATURES:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    return frame


def cohorts() -> pd.DataFrame:
    """Earlier runs (train) starting 2025-02-01 and later runs (test) starting 2025-10-01."""
    return pd.concat(
        [
            simulate(500, 1, date(2025, 2, 1), prefix="a"),
            simulate(300, 2, date(2025, 10, 1), prefix="b"),
        ],
        ignore_index=True,
    )
