"""Course analytics (list, detail, funnel) and instructors' checked against recomputations from raw rows
(``tests.dbt.course_expectations``), on the generated history and on the OULAD slice (course runs)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.app_api.analytics.conftest import Analytics, instructor
from tests.dbt import course_expectations as expect
from tests.warehouses import INSTRUCTORS

SUMMARY = (
    "as_of_date",
    "enrollments",
    "learners",
    "active_learners_last_30_days",
    "completions",
    "completion_rate",
    "median_days_to_complete",
    "drops",
    "dropout_rate",
    "graded_attempts",
    "average_assessment_score",
    "ratings",
)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


def _ratings(values: tuple[Any, ...]) -> dict[str, Any] | None:
    """The reviews' figures of a summary row (review count, average, count per star) as the API nests
    them; a run's row has none."""
    count, average, *stars = values
    if count is None:
        return None
    return {"review_count": count, "average_rating": _json(average),
            "stars": {str(n): given for n, given in enumerate(stars, start=1)}}  # fmt: skip


def _summaries(analytics: Analytics) -> dict[tuple[uuid.UUID, uuid.UUID | None], dict[str, Any]]:
    """fct_course_summary recomputed from raw rows, as the API spells it."""
    figures = len(SUMMARY) - 1
    return {
        key: {
            **dict(zip(SUMMARY, (_json(value) for value in row[2 : 2 + figures]), strict=False)),
            "ratings": _ratings(tuple(row[2 + figures : 2 + figures + 7])),
        }
        for key, row in expect.fct_course_summary(analytics.warehouse).items()
    }


def _without_as_of(summary: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in summary.items() if name != "as_of_date"}


def _taught_by(analytics: Analytics, instructor_id: uuid.UUID) -> set[str]:
    rows = analytics.warehouse.rows("select course_id from courses where instructor_id = %s", instructor_id)
    return {str(course_id) for (course_id,) in rows}


# ---- GET /analytics/courses


def test_admins_page_through_every_course_by_enrollments(generated: Analytics) -> None:
    expected = _summaries(generated)
    items = generated.every_page("/courses", limit=3)
    courses = {key[0]: summary for key, summary in expected.items() if key[1] is None}
    assert len(items) == len(courses)
    for item in items:
        assert {name: item[name] for name in SUMMARY} == courses[uuid.UUID(item["course_id"])]
    order = [(item["enrollments"], item["course_id"]) for item in items]
    assert order == sorted(order, reverse=True)
    titles = dict(generated.warehouse.rows("select course_id::text, title from courses"))
    assert all(item["title"] == titles[item["course_id"]] for item in items)


@pytest.mark.parametrize("sort", ["completion_rate", "-completion_rate", "enrollments"])
def test_every_order_pages_without_repeating_or_skipping(generated: Analytics, sort: str) -> None:
    items = generated.every_page("/courses", limit=4, sort=sort)
    name = sort.lstrip("-")
    keys = [(-1 if item[name] is None else item[name], item["course_id"]) for item in items]
    assert keys == sorted(keys, reverse=sort.startswith("-"))
    assert len({item["course_id"] for item in items}) == len(items) == len(generated.every_page("/courses"))


def test_instructors_list_only_the_courses_they_teach(generated: Analytics) -> None:
    for n, (instructor_id, role) in enumerate(INSTRUCTORS):
        items = generated.every_page("/courses", as_=(instructor_id, role))
        listed = {item["course_id"] for item in items}
        if role == "admin":
            assert len(listed) == len(generated.every_page("/courses"))
        else:
            assert listed == _taught_by(generated, instructor_id), n
    assert _taught_by(generated, INSTRUCTORS[3][0]) == set(), "the last instructor teaches nothing"


def test_learners_may_not_list_course_analytics(generated: Analytics, a_learner: uuid.UUID) -> None:
    response = generated.get("/courses", as_=(a_learner, "learner"))
    assert response.status_code == 403


def test_a_cursor_of_another_list_is_refused(generated: Analytics) -> None:
    page = generated.ok("/courses", limit=1)
    response = generated.get("/courses", sort="completion_rate", cursor=page["next_cursor"])
    assert response.status_code == 400
    assert "another list" in response.json()["detail"]
    assert generated.get("/courses", cursor="nonsense").status_code == 400


# ---- GET /analytics/courses/{id}


def _busiest_course(analytics: Analytics) -> uuid.UUID:
    [(course_id,)] = analytics.warehouse.rows(
        "select course_id from enrollments where course_id in (select course_id from courses "
        f"where instructor_id = '{INSTRUCTORS[0][0]}') group by course_id order by count(*) desc, 1 limit 1"
    )
    return course_id  # type: ignore[no-any-return]


def _expected_periods(
    analytics: Analytics, course_id: uuid.UUID, bounds: list[tuple[date, date]]
) -> list[dict[str, Any]]:
    """Each period's figures straight from the course's events (the mean score over the period's scores)."""
    by_day: dict[date, list[expect.Event]] = defaultdict(list)
    for event in expect.events(analytics.warehouse):
        if event.course_id == course_id:
            by_day[event.day].append(event)
    found = []
    for start, end in bounds:
        days = [start + timedelta(n) for n in range((end - start).days + 1)]
        happened = [event for day in days for event in by_day[day]]

        def count(verb: str, kind: str, happened: list[expect.Event] = happened) -> int:
            return sum(e.verb == verb and e.object_type == kind for e in happened)

        submissions = [e for e in happened if e.verb in expect.SUBMISSIONS and e.object_type == "assessment"]
        scores = [e.score_scaled for e in submissions if e.score_scaled is not None]
        passed = count("passed", "assessment")
        found.append(
            {
                "active_learners": round(
                    sum(len({e.actor_id for e in by_day[d]}) for d in days) / len(days), 2
                ),
                "enrollments": count("registered", "course"),
                "drops": count("unregistered", "course"),
                "lesson_completions": count("completed", "lesson"),
                "completions": count("completed", "course"),
                "assessment_attempts": len(submissions),
                "assessments_passed": passed,
                "pass_rate": round(passed / len(submissions), 4) if submissions else None,
                "average_assessment_score": sum(scores) / len(scores) if scores else None,
            }
        )
    return found


def _same(item: dict[str, Any], expected: dict[str, Any]) -> None:
    score, wanted = item["average_assessment_score"], expected["average_assessment_score"]
    # The mart keeps each day's mean to 4 places; a period's mean weighs those by their attempts.
    assert (score is None) == (wanted is None)
    if score is not None:
        assert abs(score - wanted) <= 0.00006
    assert {**item, "average_assessment_score": None} == {**expected, "average_assessment_score": None}


def test_the_course_detail_is_its_summary_and_series_by_week(generated: Analytics) -> None:
    course_id = _busiest_course(generated)
    start, end = date(2026, 8, 1), date(2026, 8, 31)
    body = generated.ok(
        f"/courses/{course_id}", **{"from": str(start), "to": str(end), "granularity": "week"}
    )
    summary = _summaries(generated)[(course_id, None)]
    assert body["as_of_date"] == summary["as_of_date"]
    assert body["summary"] == _without_as_of(summary)
    assert body["runs"] == []
    bounds = [(date.fromisoformat(p["start"]), date.fromisoformat(p["end"])) for p in body["periods"]]
    assert bounds[0] == (start, date(2026, 8, 2)) and bounds[-1] == (date(2026, 8, 31), end)
    expected = _expected_periods(generated, course_id, bounds)
    for item, wanted in zip(body["periods"], expected, strict=True):
        _same({k: v for k, v in item.items() if k not in ("start", "end", "days")}, wanted)
    [totals] = _expected_periods(generated, course_id, [(start, end)])
    _same(body["totals"], totals)
    assert body["totals"]["enrollments"] > 0


def test_the_course_detail_defaults_to_the_30_days_ending_on_its_last_activity(generated: Analytics) -> None:
    course_id = _busiest_course(generated)
    [(last,)] = generated.warehouse.rows(
        "select max(activity_date) from analytics.fct_course_daily where course_id = %s", course_id
    )
    body = generated.ok(f"/courses/{course_id}", as_=instructor(0))
    assert body["range"] == {
        "from": str(last - timedelta(29)),
        "to": str(last),
        "granularity": "day",
        "days": 30,
    }
    assert len(body["periods"]) == 30


def test_course_runs_have_their_own_summaries(oulad: Analytics) -> None:
    expected = _summaries(oulad)
    [(course_id,)] = oulad.warehouse.rows(
        "select course_id from course_runs group by course_id order by count(*) desc, 1 limit 1"
    )
    body = oulad.ok(f"/courses/{course_id}")
    runs = {key[1]: value for key, value in expected.items() if key[0] == course_id and key[1] is not None}
    assert len(body["runs"]) == len(runs) >= 2
    codes = dict(oulad.warehouse.rows("select course_run_id, code from course_runs"))
    for run in body["runs"]:
        run_id = uuid.UUID(run["course_run_id"])
        assert {name: run[name] for name in SUMMARY if name != "as_of_date"} == _without_as_of(runs[run_id])
        assert run["course_run_code"] == codes[run_id]
    assert [run["starts_on"] for run in body["runs"]] == sorted(run["starts_on"] for run in body["runs"])
    assert body["summary"] == _without_as_of(expected[(course_id, None)])


def test_who_may_read_a_courses_analytics(generated: Analytics, a_learner: uuid.UUID) -> None:
    course_id = _busiest_course(generated)
    for path in (f"/courses/{course_id}", f"/courses/{course_id}/funnel"):
        assert generated.get(path, as_=instructor(0)).status_code == 200
        assert generated.get(path, as_=instructor(1)).status_code == 403
        assert generated.get(path, as_=(a_learner, "learner")).status_code == 403
        unknown = path.replace(str(course_id), str(uuid.uuid4()))
        assert generated.get(unknown).status_code == 404


# ---- GET /analytics/courses/{id}/funnel


def test_the_funnel_lists_lessons_in_course_order(generated: Analytics) -> None:
    course_id = _busiest_course(generated)
    expected = {
        str(lesson_id): row
        for lesson_id, row in expect.fct_course_lesson_funnel(generated.warehouse).items()
        if row[0] == course_id
    }
    titles = dict(generated.warehouse.rows("select lesson_id::text, title from lessons"))
    items = generated.every_page(f"/courses/{course_id}/funnel", limit=4)
    assert [item["lesson_number"] for item in items] == list(range(1, len(expected) + 1))
    for item in items:
        _, _, number, _, module_id, reached, completed, left = expected[item["lesson_id"]]
        assert (item["lesson_number"], item["module_id"], item["title"]) == (
            number,
            _json(module_id),
            titles[item["lesson_id"]],
        )
        assert (item["learners_reached"], item["learners_completed"], item["learners_left_after"]) == (
            reached,
            completed,
            left,
        )
        assert item["completion_share"] == (round(completed / reached, 4) if reached else None)
    assert sum(item["learners_left_after"] for item in items) > 0


# ---- GET /analytics/instructors/{id}


def test_instructors_read_their_own_totals_and_courses(generated: Analytics) -> None:
    expected = expect.fct_instructor_summary(generated.warehouse)
    for instructor_id, role in INSTRUCTORS:
        body = generated.ok(f"/instructors/{instructor_id}", as_=(instructor_id, role))
        row = expected[instructor_id]
        assert body == dict(
            zip(
                ("instructor_id", "courses", "published_courses", "enrollments", "learners", "completions"),
                (_json(value) for value in row[:6]),
                strict=True,
            )
        ) | {"completion_rate": _json(row[6])}
        courses = generated.every_page(
            f"/instructors/{instructor_id}/courses", as_=(instructor_id, role), limit=2
        )
        assert {item["course_id"] for item in courses} == _taught_by(generated, instructor_id)


def test_who_may_read_an_instructors_analytics(generated: Analytics, a_learner: uuid.UUID) -> None:
    first = INSTRUCTORS[0][0]
    for suffix in ("", "/courses"):
        assert generated.get(f"/instructors/{first}{suffix}").status_code == 200
        assert generated.get(f"/instructors/{first}{suffix}", as_=instructor(1)).status_code == 403
        assert generated.get(f"/instructors/{first}{suffix}", as_=(a_learner, "learner")).status_code == 403
        assert generated.get(f"/instructors/{uuid.uuid4()}{suffix}").status_code == 404
    # A learner is no instructor: 404 to an admin, and to themselves.
    for suffix in ("", "/courses"):
        assert generated.get(f"/instructors/{a_learner}{suffix}").status_code == 404
        assert (
            generated.get(f"/instructors/{a_learner}{suffix}", as_=(a_learner, "learner")).status_code == 404
        )
