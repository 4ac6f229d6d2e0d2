"""Scoring every open enrollment with the champion and storing the answers in ``completion_risk_scores``.

The table belongs to the learning API (migration 0013), which serves it; the pipeline writes it with SQL,
in one transaction: the day's scores replace the previous ones, enrollments that are no longer open lose
their row, and ``high_since`` records when an enrollment entered the high band (kept while it stays
there, cleared when it leaves), which is what the interventions act on.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from models.completion_risk import read_features, registry, score_open
from skillstudio.db import libpq_url

# Every grid day of the mart (the largest is far below this).
ALL_DAYS = 100_000

_UPSERT = """
insert into completion_risk_scores as current
    (enrollment_id, course_id, model_version, day_k, probability, risk, band, reasons, scored_at, high_since)
select incoming.*, case when incoming.band = 'high' then incoming.scored_at end
from risk_incoming as incoming
join enrollments using (enrollment_id)
on conflict (enrollment_id) do update set
    course_id = excluded.course_id,
    model_version = excluded.model_version,
    day_k = excluded.day_k,
    probability = excluded.probability,
    risk = excluded.risk,
    band = excluded.band,
    reasons = excluded.reasons,
    scored_at = excluded.scored_at,
    high_since = case
        when excluded.band <> 'high' then null
        when current.band = 'high' then current.high_since
        else excluded.scored_at
    end
"""
_STALE = """
delete from completion_risk_scores as scores
where not exists (select from risk_incoming as incoming where incoming.enrollment_id = scores.enrollment_id)
"""


@dataclass
class ScoringResult:
    """What one scoring stored: the model version, the rows per band and where the time went."""

    model_version: str
    scored: int
    removed: int
    bands: dict[str, int]
    newly_high: int
    seconds: dict[str, float] = field(default_factory=dict)


def score_active_enrollments(url: str, *, tracking_uri: str, now: datetime) -> ScoringResult:
    """Score every open enrollment with the ``champion`` and replace the stored scores.

    Raises ``LookupError`` when no version is the champion yet.
    """
    timings: dict[str, float] = {}
    started = time.monotonic()
    model, version = registry.load_champion(tracking_uri=tracking_uri)
    timings["load_model"] = time.monotonic() - started
    with psycopg.connect(libpq_url(url)) as conn:
        started = time.monotonic()
        frame = read_features(conn, ALL_DAYS, open_cohorts_only=True)
        timings["read_features"] = time.monotonic() - started
        started = time.monotonic()
        scores = score_open(model, frame)
        timings["score"] = time.monotonic() - started
        started = time.monotonic()
        conn.execute(
            "create temp table risk_incoming (enrollment_id uuid, course_id uuid, model_version text, "
            "day_k integer, probability double precision, risk double precision, band text, reasons jsonb, "
            "scored_at timestamptz) on commit drop"
        )
        with conn.cursor().copy("copy risk_incoming from stdin") as copy:
            for row in scores.itertuples(index=False):
                copy.write_row(
                    (
                        row.enrollment_id, row.course_id, version, int(row.day_k), float(row.probability),
                        float(row.risk), row.band, json.dumps(row.reasons), now,
                    )
                )  # fmt: skip
        newly_high = conn.execute(
            "select count(*) from risk_incoming as incoming "
            "left join completion_risk_scores as scores using (enrollment_id) "
            "where incoming.band = 'high' and scores.band is distinct from 'high'"
        ).fetchone()
        upserted = conn.execute(_UPSERT).rowcount
        removed = conn.execute(_STALE).rowcount
        conn.commit()
        timings["store"] = time.monotonic() - started
    return ScoringResult(
        model_version=version,
        scored=upserted,
        removed=removed,
        bands=dict(Counter(scores["band"])),
        newly_high=int(newly_high[0]) if newly_high else 0,
        seconds={name: round(value, 2) for name, value in timings.items()},
    )
