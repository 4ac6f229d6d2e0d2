"""``fct_enrollment_features`` recomputed in Python from the raw OLTP rows and events of a warehouse.

Independent of the SQL: each enrollment's day k is placed on the grid, then every feature is computed from
the rows dated on or before that day. Rounding follows the mart (4 places, halves away from zero; a double
becomes numeric with 15 significant digits).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.dbt.conftest import Warehouse
from tests.dbt.course_expectations import as_numeric, rounded

GRID = (7, 14, 30, 60, 100, 150, 200, 250)
# The mart's columns after its key (enrollment_id, day_k), in order.
COLUMNS = (
    "learner_id, course_id, course_run_id, as_of_date, event_count, click_count, active_days, "
    "events_last_7_days, events_last_14_days, days_since_last_activity, longest_streak_days, "
    "current_streak_days, lessons_completed, progress_share, assessments_due, assessments_submitted, "
    "assessments_submitted_late, assessments_missed, mean_score, last_score, score_trend, weighted_score, "
    "days_registered_before_start, is_unregistered, is_finished, completed, outcome, has_activity_data"
)
ACTIVITY = slice(4, 14)  # event_count .. progress_share within a row

Row = tuple[Any, ...]


def utc_day(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


def clicks_of(extensions: dict[str, Any] | None) -> int:
    value = (extensions or {}).get("clicks")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 1
    return int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))


def mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


@dataclass
class Raw:
    """The rows the features are computed from, indexed the way the recomputation reads them."""

    enrollments: list[tuple[Any, ...]]
    runs: dict[uuid.UUID, tuple[date, int | None]]
    # enrollment_id -> UTC day -> [events, clicks]
    activity: dict[uuid.UUID, dict[date, list[int]]] = field(default_factory=dict)
    # enrollment_id -> lesson_id -> first completion
    completions: dict[uuid.UUID, dict[str, datetime]] = field(default_factory=dict)
    lessons: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    # course_id -> [(assessment_id, course_run_id, due_at, weight)]
    assessments: dict[uuid.UUID, list[tuple[Any, ...]]] = field(default_factory=dict)
    # (enrollment_id, assessment_id) -> [(submitted_at, score)]
    attempts: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[datetime, float | None]]] = field(
        default_factory=dict
    )


def read_raw(warehouse: Warehouse) -> Raw:
    raw = Raw(
        enrollments=warehouse.rows(
            "select enrollment_id, user_id, course_id, course_run_id, status, outcome, enrolled_at, "
            "completed_at, unregistered_at from public.enrollments"
        ),
        runs={
            run_id: (starts_on, length)
            for run_id, starts_on, length in warehouse.rows(
                "select course_run_id, starts_on, length_days from public.course_runs"
            )
        },
    )
    activity: dict[uuid.UUID, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    completions: dict[uuid.UUID, dict[str, datetime]] = defaultdict(dict)
    for registration, occurred_at, verb, object_type, object_id, extensions in warehouse.rows(
        "select registration, occurred_at, verb, object_type, object_id, extensions "
        "from public.learner_events where registration is not null"
    ):
        if object_type not in ("course", "assessment"):
            day = activity[registration][utc_day(occurred_at)]
            day[0] += 1
            day[1] += clicks_of(extensions)
        if object_type == "lesson" and verb == "completed":
            first = completions[registration].get(object_id)
            completions[registration][object_id] = occurred_at if first is None else min(first, occurred_at)
    raw.activity, raw.completions = activity, completions
    lessons: dict[uuid.UUID, set[str]] = defaultdict(set)
    for lesson_id, course_id in warehouse.rows("select lesson_id, course_id from public.lessons"):
        lessons[course_id].add(str(lesson_id))
    raw.lessons = lessons
    assessments: dict[uuid.UUID, list[tuple[Any, ...]]] = defaultdict(list)
    for assessment_id, course_id, run_id, due_at, weight in warehouse.rows(
        "select assessment_id, course_id, course_run_id, due_at, weight from public.assessments "
        "where assessment_type <> 'diagnostic' and status <> 'draft'"
    ):
        assessments[course_id].append((assessment_id, run_id, due_at, weight))
    raw.assessments = assessments
    attempts: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[datetime, float | None]]] = defaultdict(list)
    for enrollment_id, assessment_id, submitted_at, score in warehouse.rows(
        "select enrollment_id, assessment_id, submitted_at, score_scaled from public.assessment_attempts "
        "where enrollment_id is not null and submitted_at is not null"
    ):
        attempts[(enrollment_id, assessment_id)].append((submitted_at, score))
    raw.attempts = attempts
    return raw


def streaks(days: list[date], as_of: date) -> tuple[int, int]:
    """(longest, current) runs of consecutive days among ``days`` (sorted, none after ``as_of``)."""
    longest = current = 0
    previous: date | None = None
    for day in days:
        current = current + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, current)
        previous = day
    return longest, (current if previous == as_of else 0)


def activity_features(raw: Raw, enrollment: tuple[Any, ...], as_of: date) -> Row:
    enrollment_id, course_id = enrollment[0], enrollment[2]
    days = {day: counts for day, counts in raw.activity.get(enrollment_id, {}).items() if day <= as_of}
    ordered = sorted(days)
    longest, current = streaks(ordered, as_of)
    completed = sum(
        1
        for lesson, first in raw.completions.get(enrollment_id, {}).items()
        if lesson in raw.lessons.get(course_id, set()) and utc_day(first) <= as_of
    )
    lesson_count = len(raw.lessons.get(course_id, ()))
    return (
        sum(events for events, _ in days.values()),
        sum(clicks for _, clicks in days.values()),
        len(days),
        sum(days[day][0] for day in ordered if day > as_of - timedelta(days=7)),
        sum(days[day][0] for day in ordered if day > as_of - timedelta(days=14)),
        (as_of - ordered[-1]).days if ordered else None,
        longest,
        current,
        completed,
        rounded(Decimal(completed) / lesson_count) if lesson_count else None,
    )


def assessment_features(raw: Raw, enrollment: tuple[Any, ...], as_of: date) -> Row:
    enrollment_id, course_id, run_id = enrollment[0], enrollment[2], enrollment[3]
    due = submitted = late = missed = 0
    scored: list[tuple[datetime, Decimal]] = []
    latest_weighted: list[tuple[Decimal, Decimal]] = []
    for assessment_id, assessment_run, due_at, weight in raw.assessments.get(course_id, []):
        if assessment_run is not None and assessment_run != run_id:
            continue
        attempts = raw.attempts.get((enrollment_id, assessment_id), [])
        first = min((at for at, _ in attempts), default=None)
        is_due = due_at is not None and utc_day(due_at) <= as_of
        is_submitted = first is not None and utc_day(first) <= as_of
        due += is_due
        submitted += is_submitted
        late += is_submitted and due_at is not None and first is not None and first > due_at
        missed += is_due and not is_submitted
        known = [
            (at, as_numeric(score)) for at, score in attempts if score is not None and utc_day(at) <= as_of
        ]
        scored += known
        if known and weight is not None and weight > 0:
            last_at = max(at for at, _ in known)
            latest_weighted.append((as_numeric(weight), mean([s for at, s in known if at == last_at])))
    mean_score = last_score = None
    if scored:
        mean_score = mean([score for _, score in scored])
        last_at = max(at for at, _ in scored)
        last_score = mean([score for at, score in scored if at == last_at])
    weighted = (
        sum((w * s for w, s in latest_weighted), Decimal(0))
        / sum((w for w, _ in latest_weighted), Decimal(0))
        if latest_weighted
        else None
    )
    return (
        due,
        submitted,
        late,
        missed,
        rounded(mean_score),
        rounded(last_score),
        None if last_score is None or mean_score is None else rounded(last_score - mean_score),
        rounded(weighted),
    )


def label(status: str, outcome: str | None) -> tuple[bool | None, str | None]:
    if outcome is not None:
        return outcome in ("pass", "distinction"), outcome
    if status == "completed":
        return True, "completed"
    if status == "dropped":
        return False, "withdrawn"
    return None, None


def fct_enrollment_features(warehouse: Warehouse, raw: Raw | None = None) -> dict[tuple[Any, ...], Row]:
    """(enrollment_id, day_k) -> the mart's other columns (``COLUMNS``)."""
    raw = raw or read_raw(warehouse)
    (today,) = warehouse.rows("select (now() at time zone 'UTC')::date")[0]
    # (course, run) -> its first activity day, by any of its enrollments
    first_activity: dict[tuple[Any, Any], date] = {}
    for enrollment in raw.enrollments:
        days = raw.activity.get(enrollment[0])
        if days:
            cohort = (enrollment[2], enrollment[3])
            first_activity[cohort] = min(min(days), first_activity.get(cohort, date.max))
    expected = {}
    for enrollment in raw.enrollments:
        enrollment_id, learner_id, course_id, run_id, status, outcome, enrolled_at, completed_at, left_at = (
            enrollment
        )
        starts_on, length = raw.runs[run_id] if run_id is not None else (None, None)
        enrolled_on = utc_day(enrolled_at)
        anchor = starts_on or enrolled_on
        first_active = first_activity.get((course_id, run_id), date.max)
        completed, outcome_text = label(status, outcome)
        for day_k in GRID:
            as_of = anchor + timedelta(days=day_k)
            if (length is not None and day_k > length) or as_of >= today or enrolled_on > as_of:
                continue
            has_activity = first_active <= as_of
            activity = activity_features(raw, enrollment, as_of) if has_activity else (None,) * 10
            expected[(enrollment_id, day_k)] = (
                learner_id,
                course_id,
                run_id,
                as_of,
                *activity,
                *assessment_features(raw, enrollment, as_of),
                None if starts_on is None else (starts_on - enrolled_on).days,
                left_at is not None and utc_day(left_at) <= as_of,
                completed_at is not None and utc_day(completed_at) <= as_of,
                completed,
                outcome_text,
                has_activity,
            )
    return expected


def mart_rows(warehouse: Warehouse) -> dict[tuple[Any, ...], Row]:
    rows = warehouse.rows(f"select enrollment_id, day_k, {COLUMNS} from analytics.fct_enrollment_features")
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}
