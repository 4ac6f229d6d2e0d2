"""Rows of ``completion_risk_scores`` as the pipeline's daily scoring writes them, for the API's tests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

NO_ACTIVITY = {
    "feature": "days_since_last_activity",
    "value": 12.0,
    "contribution": -0.8,
    "text": "no activity for 12 days",
}
MISSED = {
    "feature": "assessments_missed",
    "value": 2.0,
    "contribution": -0.5,
    "text": "2 of 3 assessments due not submitted",
}


def band(risk: float) -> str:
    return "high" if risk >= 0.6 else "medium" if risk >= 0.35 else "low"


def store_score(
    session: Session,
    *,
    enrollment_id: str | uuid.UUID,
    course_id: str | uuid.UUID,
    risk: float,
    reasons: list[dict[str, Any]] | None = None,
    scored_at: datetime | None = None,
    high_since: datetime | None = None,
    notified_at: datetime | None = None,
) -> None:
    """Insert or replace the enrollment's score (``high_since``: ``scored_at`` when in the high band)."""
    scored_at = scored_at or datetime.now(UTC)
    level = band(risk)
    session.execute(
        text(
            """
            insert into completion_risk_scores (enrollment_id, course_id, model_version, day_k, probability,
                risk, band, reasons, scored_at, high_since, notified_at)
            values (:enrollment_id, :course_id, '3', 30, :probability, :risk, :band, cast(:reasons as jsonb),
                :scored_at, :high_since, :notified_at)
            on conflict (enrollment_id) do update set risk = excluded.risk,
                probability = excluded.probability, band = excluded.band, reasons = excluded.reasons,
                scored_at = excluded.scored_at, high_since = excluded.high_since,
                notified_at = excluded.notified_at
            """
        ),
        {
            "enrollment_id": str(enrollment_id),
            "course_id": str(course_id),
            "probability": 1.0 - risk,
            "risk": risk,
            "band": level,
            "reasons": json.dumps([NO_ACTIVITY, MISSED] if reasons is None else reasons),
            "scored_at": scored_at,
            "high_since": high_since if high_since is not None else (scored_at if level == "high" else None),
            "notified_at": notified_at,
        },
    )
    session.flush()
