"""Date ranges and periods of the analytics series: which days a request covers and how days add up.

Pure: no database, no FastAPI. A range is checked against the days a mart holds; a period is a UTC day, an
ISO week (Monday to Sunday) or a calendar month, cut to the range at both ends, so the first and last
periods may be shorter than the others. Marts hold one row per day; a day a sparse mart has no row for
counts as zeros.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from skillstudio.errors import InvalidContent


class Granularity(StrEnum):
    day = "day"
    week = "week"
    month = "month"


# The longest range one request may ask for, in days, per granularity: about 3, 10 and 20 years, so no
# series has more than about 1,100 day, 520 week or 240 month periods.
MAX_DAYS = {Granularity.day: 3 * 365 + 1, Granularity.week: 10 * 365 + 3, Granularity.month: 20 * 365 + 5}
DEFAULT_DAYS = 30


class Aggregate(StrEnum):
    """How one day's figure becomes a period's."""

    sum = "sum"
    mean = "mean"  # over the period's days, quiet days included
    last = "last"  # the figure on the period's last day


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __iter__(self) -> Any:
        return (self.start + timedelta(days=offset) for offset in range(self.days))


def _next_start(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.day:
        return day + timedelta(days=1)
    if granularity is Granularity.week:
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def periods(span: Period, granularity: Granularity) -> list[Period]:
    """The periods covering ``span`` in order, the first and last cut to it."""
    found: list[Period] = []
    start = span.start
    while start <= span.end:
        following = _next_start(start, granularity)
        found.append(Period(start, min(following - timedelta(days=1), span.end)))
        start = following
    return found


def previous(span: Period) -> Period:
    """The period of the same length that ends the day before ``span`` starts."""
    return Period(span.start - timedelta(days=span.days), span.start - timedelta(days=1))


def aggregate(
    daily: Mapping[date, Mapping[str, Any]], period: Period, metrics: Mapping[str, Aggregate]
) -> dict[str, float | int]:
    """Each metric over ``period`` from ``daily`` rows (a missing day or a null is 0); means to 2 places."""
    totals: dict[str, float | int] = {}
    for name, how in metrics.items():
        if how is Aggregate.last:
            totals[name] = (daily.get(period.end) or {}).get(name) or 0
            continue
        total = sum((daily.get(day) or {}).get(name) or 0 for day in period)
        totals[name] = round(total / period.days, 2) if how is Aggregate.mean else total
    return totals


def ratio(part: float | int | None, whole: float | int | None, places: int = 4) -> float | None:
    """``part / whole`` rounded, or None when there is no whole."""
    if part is None or not whole:
        return None
    return round(part / whole, places)


def change_percent(current: float | int | None, before: float | int | None) -> float | None:
    """The % change from ``before`` to ``current`` (2 places); None when ``before`` is 0 or unknown."""
    if current is None or not before:
        return None
    return round((current - before) * 100 / before, 2)


def resolve_range(
    *,
    start: date | None,
    end: date | None,
    granularity: Granularity,
    bounds: tuple[date, date],
    default_end: date | None = None,
) -> Period:
    """The range a request asks for, checked against the ``bounds`` (first and last day) a mart holds.

    Without ``end`` the range ends at ``default_end`` (the mart's last day unless given); without ``start``
    it covers the ``DEFAULT_DAYS`` days ending there, cut to the mart's first day. Days outside the mart,
    ``from`` after ``to`` or a range longer than ``MAX_DAYS`` for the granularity are an ``InvalidContent``
    naming each field.
    """
    first, last = bounds
    held = f"the marts hold {first.isoformat()} to {last.isoformat()}"
    errors = [
        _error(field, f"{day.isoformat()} is outside the days analytics has: {held}")
        for field, day in (("from", start), ("to", end))
        if day is not None and not first <= day <= last
    ]
    if errors:
        # Checked alone: a range starting before the marts is also too long, which would say it twice.
        raise InvalidContent("The dates asked for are outside the days analytics has.", errors=errors)
    end = end or min(max(default_end or last, first), last)
    start = start or max(first, end - timedelta(days=DEFAULT_DAYS - 1))
    span = Period(start, end)
    limit = MAX_DAYS[granularity]
    if start > end:
        errors.append(_error("from", f"from ({start.isoformat()}) is after to ({end.isoformat()})"))
    elif span.days > limit:
        message = (
            f"{span.days} days asked for; at granularity={granularity.value} a range has at most {limit}"
        )
        errors.append(_error("to", message))
    if errors:
        raise InvalidContent(
            "The range asked for is not valid: " + "; ".join(error["message"] for error in errors) + ".",
            errors=errors,
        )
    return span


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": f"query.{field}", "message": message, "type": "range"}


def index_by_day(rows: Iterable[Mapping[str, Any]], day_column: str = "activity_date") -> dict[date, Any]:
    return {row[day_column]: row for row in rows}
