"""GET /analytics/platform: the series, totals and % change checked against the mart's rows and raw events."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from skillstudio.settings import Settings
from tests.app_api.analytics.conftest import API, Analytics, analytics_on, instructor
from tests.warehouses import Warehouse

SUMS = (
    "new_learners",
    "enrollments",
    "drops",
    "lesson_completions",
    "course_completions",
    "quiz_attempts",
    "quiz_passes",
)
MEANS = ("dau", "active_courses")
LASTS = ("wau", "mau")
FIGURES = (*MEANS, *LASTS, *SUMS, "quiz_pass_rate")


def _mart(generated: Analytics) -> dict[date, dict[str, Any]]:
    names = (*MEANS, *LASTS, *SUMS, "quiz_pass_rate")
    rows = generated.warehouse.rows(
        f"select activity_date, {', '.join(names)} from analytics.fct_platform_daily"
    )
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _expected(mart: dict[date, dict[str, Any]], start: date, end: date) -> dict[str, Any]:
    days = _days(start, end)
    expected: dict[str, Any] = {
        name: round(sum(mart[day][name] for day in days) / len(days), 2) for name in MEANS
    }
    expected |= {name: mart[end][name] for name in LASTS}
    expected |= {name: sum(mart[day][name] for day in days) for name in SUMS}
    attempts, passes = expected["quiz_attempts"], expected["quiz_passes"]
    expected["quiz_pass_rate"] = round(passes / attempts, 4) if attempts else None
    return expected


def _figures(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in FIGURES}


def test_the_default_is_30_days_by_day_ending_on_the_marts_last_day(generated: Analytics) -> None:
    mart = _mart(generated)
    first, last = min(mart), max(mart)
    body = generated.ok("/platform")
    assert body["range"] == {
        "from": str(last - timedelta(days=29)),
        "to": str(last),
        "granularity": "day",
        "days": 30,
    }
    assert (body["first_day"], body["last_day"]) == (str(first), str(last))
    assert [item["start"] for item in body["periods"]] == [
        str(day) for day in _days(last - timedelta(29), last)
    ]
    for item in body["periods"]:
        day = date.fromisoformat(item["start"])
        assert _figures(item) == _expected(mart, day, day)
        # A day's pass rate is the mart's own.
        rate = mart[day]["quiz_pass_rate"]
        assert item["quiz_pass_rate"] == (None if rate is None else float(rate))
    assert any(item["quiz_attempts"] for item in body["periods"])
    assert body["totals"] == _expected(mart, last - timedelta(days=29), last)


def test_figures_agree_with_the_raw_events(generated: Analytics) -> None:
    """The API's figures follow from the events themselves, not only from the mart's rows."""
    start, end = date(2026, 8, 10), date(2026, 8, 23)
    body = generated.ok("/platform", **{"from": str(start), "to": str(end), "granularity": "week"})
    [(active_days, enrollments, completions, attempts, passes, course_days)] = generated.warehouse.rows(
        "select count(distinct (actor_id, (occurred_at at time zone 'UTC')::date)), "
        "count(*) filter (where verb = 'registered' and object_type = 'course'), "
        "count(*) filter (where verb = 'completed' and object_type = 'course'), "
        "count(*) filter (where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'), "
        "count(*) filter (where verb = 'passed' and object_type = 'assessment'), "
        "count(distinct (course_id, (occurred_at at time zone 'UTC')::date)) "
        "filter (where course_id is not null) "
        "from learner_events where (occurred_at at time zone 'UTC')::date between %s and %s",
        start,
        end,
    )
    assert body["totals"]["dau"] == round(active_days / 14, 2)
    assert body["totals"]["enrollments"] == enrollments
    assert body["totals"]["course_completions"] == completions
    assert (body["totals"]["quiz_attempts"], body["totals"]["quiz_passes"]) == (attempts, passes)
    assert body["totals"]["quiz_pass_rate"] == round(passes / attempts, 4)
    assert body["totals"]["active_courses"] == round(course_days / 14, 2)
    [(mau,)] = generated.warehouse.rows(
        "select count(distinct actor_id) from learner_events "
        "where (occurred_at at time zone 'UTC')::date between %s::date - 29 and %s",
        end,
        end,
    )
    assert body["totals"]["mau"] == mau


@pytest.mark.parametrize(
    ("granularity", "expected_starts"),
    [
        # 2026-08-05 is a Wednesday: the first week is cut to the range.
        ("week", ["2026-08-05", "2026-08-10", "2026-08-17", "2026-08-24"]),
        ("month", ["2026-08-05"]),
    ],
)
def test_weeks_and_months_add_up_their_days(
    generated: Analytics, granularity: str, expected_starts: list[str]
) -> None:
    mart = _mart(generated)
    start, end = date(2026, 8, 5), date(2026, 8, 27)
    body = generated.ok("/platform", **{"from": str(start), "to": str(end), "granularity": granularity})
    assert [item["start"] for item in body["periods"]] == expected_starts
    for item in body["periods"]:
        period_start, period_end = date.fromisoformat(item["start"]), date.fromisoformat(item["end"])
        assert item["days"] == (period_end - period_start).days + 1
        assert _figures(item) == _expected(mart, period_start, period_end)
    assert body["periods"][-1]["end"] == str(end)
    assert body["totals"] == _expected(mart, start, end)


def test_change_against_the_previous_range_of_the_same_length(generated: Analytics) -> None:
    mart = _mart(generated)
    start, end = date(2026, 8, 21), date(2026, 8, 31)
    body = generated.ok("/platform", **{"from": str(start), "to": str(end)})
    before = _expected(mart, date(2026, 8, 10), date(2026, 8, 20))
    assert body["previous_range"]["from"] == "2026-08-10"
    assert body["previous_range"]["to"] == "2026-08-20"
    assert body["previous_totals"] == before
    now = _expected(mart, start, end)
    for name, value in body["change_percent"].items():
        expected = round((now[name] - before[name]) * 100 / before[name], 2) if before[name] else None
        assert value == expected, name
    assert body["change_percent"]["new_learners"] is not None


def test_no_previous_range_when_the_marts_do_not_hold_all_of_it(generated: Analytics) -> None:
    first = min(_mart(generated))
    body = generated.ok(
        "/platform", **{"from": str(first + timedelta(days=2)), "to": str(first + timedelta(9))}
    )
    assert body["previous_range"] is None and body["previous_totals"] is None
    assert set(body["change_percent"].values()) == {None}


@pytest.mark.parametrize(
    ("params", "fields", "words"),
    [
        ({"from": "2026-08-20", "to": "2026-08-10"}, ["query.from"], "after to"),
        ({"from": "2020-01-01"}, ["query.from"], "outside"),
        ({"to": "2030-01-01"}, ["query.to"], "outside"),
        ({"granularity": "year"}, ["query.granularity"], ""),
        ({"from": "not a day"}, ["query.from"], ""),
    ],
)
def test_invalid_ranges_are_422_with_field_errors(
    generated: Analytics, params: dict[str, str], fields: list[str], words: str
) -> None:
    response = generated.get("/platform", **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == fields
    assert words in errors[0]["message"]


def test_only_admins_read_the_platform(generated: Analytics, a_learner: uuid.UUID) -> None:
    assert generated.get("/platform", as_=instructor(0)).status_code == 403
    assert generated.get("/platform", as_=(a_learner, "learner")).status_code == 403
    assert generated.client.get(f"{API}/platform").status_code == 401


@pytest.fixture(scope="module")
def unbuilt(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    url = database_factory()
    return analytics_on(Warehouse(url=url, statuses={}, output=""), tmp_path_factory.mktemp("home"))


def test_before_the_pipeline_has_run_the_answer_is_503_with_retry_after(unbuilt: Analytics) -> None:
    response = unbuilt.get("/platform")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) > 0
    assert "analytics.fct_platform_daily" in response.json()["detail"]


def test_the_schema_the_marts_live_in_is_a_setting(generated: Analytics, tmp_path: Any) -> None:
    from skillstudio.main.app import create_app

    settings = Settings(
        home=tmp_path,
        database_url=generated.warehouse.url,
        jwt_secret=generated.settings.jwt_secret,
        analytics_schema="elsewhere",
    )
    response = TestClient(create_app(settings)).get(
        f"{API}/platform", headers=generated.headers(uuid.uuid4(), "admin")
    )
    assert response.status_code == 503
    assert "elsewhere.fct_platform_daily" in response.json()["detail"]
