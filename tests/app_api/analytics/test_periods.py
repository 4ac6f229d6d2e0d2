"""Periods and ranges of the analytics series: calendar cuts, aggregation of days, range checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app_api.analytics.periods import (
    MAX_DAYS,
    Aggregate,
    Granularity,
    Period,
    aggregate,
    change_percent,
    periods,
    previous,
    ratio,
    resolve_range,
)
from skillstudio.errors import InvalidContent

BOUNDS = (date(2026, 1, 1), date(2026, 12, 31))


def test_weeks_are_iso_weeks_cut_to_the_range() -> None:
    # 2026-03-04 is a Wednesday; the range ends on a Tuesday.
    found = periods(Period(date(2026, 3, 4), date(2026, 3, 17)), Granularity.week)
    assert [(p.start, p.end, p.days) for p in found] == [
        (date(2026, 3, 4), date(2026, 3, 8), 5),
        (date(2026, 3, 9), date(2026, 3, 15), 7),
        (date(2026, 3, 16), date(2026, 3, 17), 2),
    ]
    assert all(p.start.weekday() == 0 for p in found[1:])


def test_months_are_calendar_months_across_a_year_end() -> None:
    found = periods(Period(date(2025, 11, 15), date(2026, 2, 3)), Granularity.month)
    assert [(p.start, p.end) for p in found] == [
        (date(2025, 11, 15), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 3)),
    ]


def test_days_cover_the_range_one_by_one() -> None:
    found = periods(Period(date(2026, 2, 27), date(2026, 3, 2)), Granularity.day)
    assert [p.start for p in found] == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert all(p.start == p.end for p in found)


def test_sums_means_and_last_days_with_missing_days_as_zero() -> None:
    daily = {
        date(2026, 3, 1): {"dau": 4, "mau": 10, "enrollments": 2},
        date(2026, 3, 2): {"dau": 2, "mau": 11, "enrollments": None},
        # 3 March has no row (a sparse mart): zeros.
    }
    metrics = {"dau": Aggregate.mean, "mau": Aggregate.last, "enrollments": Aggregate.sum}
    assert aggregate(daily, Period(date(2026, 3, 1), date(2026, 3, 3)), metrics) == {
        "dau": 2.0,
        "mau": 0,
        "enrollments": 2,
    }
    assert aggregate(daily, Period(date(2026, 3, 1), date(2026, 3, 2)), metrics) == {
        "dau": 3.0,
        "mau": 11,
        "enrollments": 2,
    }


def test_the_previous_period_has_the_same_length() -> None:
    span = Period(date(2026, 3, 1), date(2026, 3, 30))
    assert previous(span) == Period(date(2026, 1, 30), date(2026, 2, 28))


def test_ratios_and_changes() -> None:
    assert ratio(1, 3) == 0.3333
    assert ratio(1, 0) is None
    assert change_percent(150, 100) == 50.0
    assert change_percent(1, 3) == -66.67
    assert change_percent(5, 0) is None
    assert change_percent(5, None) is None


def test_default_range_is_the_30_days_ending_on_the_marts_last_day() -> None:
    span = resolve_range(start=None, end=None, granularity=Granularity.day, bounds=BOUNDS)
    assert span == Period(date(2026, 12, 2), date(2026, 12, 31))
    short = resolve_range(
        start=None, end=None, granularity=Granularity.day, bounds=(date(2026, 5, 1), date(2026, 5, 10))
    )
    assert short == Period(date(2026, 5, 1), date(2026, 5, 10))
    course = resolve_range(
        start=None, end=None, granularity=Granularity.week, bounds=BOUNDS, default_end=date(2026, 2, 10)
    )
    assert course == Period(date(2026, 1, 12), date(2026, 2, 10))


def _fields(error: pytest.ExceptionInfo[InvalidContent]) -> list[str]:
    return [entry["field"] for entry in error.value.extra["errors"]]


def test_from_after_to_is_refused_on_from() -> None:
    with pytest.raises(InvalidContent) as error:
        resolve_range(
            start=date(2026, 3, 2), end=date(2026, 3, 1), granularity=Granularity.day, bounds=BOUNDS
        )
    assert _fields(error) == ["query.from"]
    assert "after to" in error.value.extra["errors"][0]["message"]


def test_days_outside_the_marts_are_refused_on_each_field() -> None:
    with pytest.raises(InvalidContent) as error:
        resolve_range(
            start=date(2025, 12, 31), end=date(2027, 1, 1), granularity=Granularity.day, bounds=BOUNDS
        )
    assert _fields(error) == ["query.from", "query.to"]
    assert "2026-01-01 to 2026-12-31" in error.value.extra["errors"][0]["message"]


@pytest.mark.parametrize("granularity", list(Granularity))
def test_a_range_longer_than_the_granularity_allows_is_refused(granularity: Granularity) -> None:
    limit = MAX_DAYS[granularity]
    wide = (date(2000, 1, 1), date(2030, 12, 31))
    start = date(2001, 1, 1)
    longest = start + timedelta(days=limit - 1)
    assert resolve_range(start=start, end=longest, granularity=granularity, bounds=wide).days == limit
    with pytest.raises(InvalidContent) as error:
        resolve_range(start=start, end=longest + timedelta(days=1), granularity=granularity, bounds=wide)
    assert _fields(error) == ["query.to"]
    assert MAX_DAYS[Granularity.day] >= 3 * 365
