"""The catalogue dimensions and the course and instructor marts, each compared row for row with its Python
recomputation from the raw rows (``course_expectations``), with the generator's truth about who dropped out,
and, on the OULAD slice, with the CSV files themselves."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.dbt import course_expectations as expect
from tests.dbt.conftest import INSTRUCTORS, OULAD_SLICE, Warehouse

WAREHOUSES = ["generated_warehouse", "oulad_warehouse"]

# mart → (its recomputation, its key columns, its other columns in order)
MARTS: dict[str, tuple[Callable[[Warehouse], dict[Any, tuple[Any, ...]]], str, str]] = {
    "dim_courses": (
        expect.dim_courses,
        "course_id",
        "course_title, subject, course_level, course_status, instructor_id, provider, published_at, "
        "created_at, module_count, lesson_count, required_lesson_count, estimated_minutes, skill_count, "
        "skill_slugs, course_run_count",
    ),
    "dim_lessons": (
        expect.dim_lessons,
        "lesson_id",
        "course_id, module_id, module_position, lesson_position, lesson_number, lesson_title, activity_type, "
        "estimated_minutes, is_required, created_at",
    ),
    "dim_skills": (
        expect.dim_skills,
        "skill_id",
        "skill_slug, skill_name, parent_skill_id, parent_skill_slug, parent_skill_name, course_count, "
        "question_count, created_at",
    ),
    "dim_learners": (
        expect.dim_learners,
        "learner_id",
        "role, created_at, gender, region, highest_education, imd_band, age_band, has_disability",
    ),
    "dim_instructors": (
        expect.dim_instructors,
        "instructor_id",
        "role, created_at, course_count, published_course_count",
    ),
    "dim_course_runs": (
        expect.dim_course_runs,
        "course_run_id",
        "course_id, course_run_code, starts_on, length_days, ends_on, created_at",
    ),
    "fct_course_daily": (
        expect.fct_course_daily,
        "course_id, activity_date",
        "active_learners, enrollments, drops, lesson_completions, completions, assessment_attempts, "
        "assessments_passed, scored_assessment_attempts, average_assessment_score",
    ),
    "fct_course_summary": (
        expect.fct_course_summary,
        "course_id, course_run_id",
        "as_of_date, enrollments, learners, active_learners_last_30_days, completions, completion_rate, "
        "median_days_to_complete, drops, dropout_rate, graded_attempts, average_assessment_score, "
        "review_count, average_rating, rating_1_count, rating_2_count, rating_3_count, rating_4_count, "
        "rating_5_count",
    ),
    "fct_course_lesson_funnel": (
        expect.fct_course_lesson_funnel,
        "lesson_id",
        "course_id, lesson_id, lesson_number, lesson_position, module_id, learners_reached, "
        "learners_completed, learners_left_after",
    ),
    "fct_platform_daily": (
        expect.fct_platform_daily,
        "activity_date",
        "activity_date, dau, wau, mau, dau_mau_ratio, new_learners, enrollments, drops, lesson_completions, "
        "course_completions, quiz_attempts, quiz_passes, quiz_pass_rate, active_courses",
    ),
    "fct_instructor_summary": (
        expect.fct_instructor_summary,
        "instructor_id",
        "courses, published_courses, enrollments, learners, completions, completion_rate",
    ),
}


def mart_rows(warehouse: Warehouse, mart: str) -> dict[Any, tuple[Any, ...]]:
    _, key, others = MARTS[mart]
    width = len(key.split(","))
    # The funnel's and the platform's keys are among their columns already; the others start with their key.
    columns = others if mart in ("fct_course_lesson_funnel", "fct_platform_daily") else f"{key}, {others}"
    rows = warehouse.rows(f"select {key}, {columns} from analytics.{mart}")
    return {(row[0] if width == 1 else tuple(row[:width])): tuple(row[width:]) for row in rows}


@pytest.mark.parametrize("warehouse_name", WAREHOUSES)
@pytest.mark.parametrize("mart", list(MARTS))
def test_mart_equals_its_recomputation_from_raw_rows(
    mart: str, warehouse_name: str, request: pytest.FixtureRequest
) -> None:
    warehouse: Warehouse = request.getfixturevalue(warehouse_name)
    recompute = MARTS[mart][0]

    assert mart_rows(warehouse, mart) == recompute(warehouse)


def test_generated_history_exercises_every_figure(generated_warehouse: Warehouse) -> None:
    """The comparisons above are between rows that say something: counts, rates and averages of each kind."""
    daily = expect.fct_course_daily(generated_warehouse).values()
    assert all(sum(row[column] for row in daily) > 0 for column in range(2, 10))
    assert any(row[2] > 1 for row in daily) and any(row[10] is not None for row in daily)
    courses = [row for (_, run), row in expect.fct_course_summary(generated_warehouse).items() if run is None]
    assert len(courses) == 10
    assert all(row[5] > 0 and row[6] > 0 and row[8] is not None and row[12] is not None for row in courses)
    assert sum(row[9] for row in courses) > 0 and len({row[7] for row in courses}) > 1
    # Ratings: every star count occurs, averages differ, and a hidden review counts in none of them.
    assert all(sum(row[15 + stars] for row in courses) > 0 for stars in range(5))
    assert len({row[14] for row in courses}) > 1
    hidden = generated_warehouse.rows(
        "select count(*) from public.course_reviews where hidden_at is not null"
    )
    assert hidden[0][0] > 0
    assert (
        sum(row[13] for row in courses)
        == generated_warehouse.rows("select count(*) from public.course_reviews where hidden_at is null")[0][
            0
        ]
    )
    platform = expect.fct_platform_daily(generated_warehouse).values()
    assert all(sum(row[column] for row in platform) > 0 for column in range(5, 12))
    assert any(row[13] > 1 for row in platform)
    assert any(row[12] is not None and 0 < row[12] < 1 for row in platform)
    # The 30-day window leaves out learners whose last course activity is older.
    assert sum(row[5] for row in courses) < sum(row[4] for row in courses)
    funnel = expect.fct_course_lesson_funnel(generated_warehouse).values()
    assert all(sum(row[column] for row in funnel) > 0 for column in (5, 6, 7))
    instructors = expect.fct_instructor_summary(generated_warehouse)
    assert {instructor_id for instructor_id, _ in INSTRUCTORS} == set(instructors)
    assert sum(row[1] for row in instructors.values()) == 8  # every fifth course has no instructor
    assert [row[3] for row in instructors.values()].count(0) == 1


def test_drop_outs_are_those_the_generator_made(generated_warehouse: Warehouse) -> None:
    truth = generated_warehouse.rows("select enrollment_id, course_id from truth.dropouts")
    dropped = generated_warehouse.rows(
        "select enrollment_id, course_id from analytics.int_enrollments_summarised where is_dropped"
    )
    assert len(truth) > 50
    assert sorted(dropped) == sorted(truth)

    by_course = Counter(course_id for _, course_id in truth)
    summary = dict(
        generated_warehouse.rows(
            "select course_id, drops from analytics.fct_course_summary where course_run_id is null"
        )
    )
    assert summary == {course_id: by_course[course_id] for course_id in summary}
    # Every generated drop-out left after a lesson: the funnel places each of them once.
    left = dict(
        generated_warehouse.rows(
            "select course_id, sum(learners_left_after)::int from analytics.fct_course_lesson_funnel "
            "group by course_id"
        )
    )
    assert left == {course_id: by_course[course_id] for course_id in left}


# --- OULAD: the marts against the CSV files ---------------------------------------------------------------


def _csv(name: str) -> list[dict[str, str]]:
    with (OULAD_SLICE / name).open(newline="") as file:
        return list(csv.DictReader(file))


def test_oulad_run_completion_rate_is_the_share_of_pass_and_distinction(oulad_warehouse: Warehouse) -> None:
    results: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in _csv("studentInfo.csv"):
        results[(row["code_module"], row["code_presentation"])].append(row["final_result"])
    expected = {
        run: (
            len(outcomes),
            (Decimal(sum(r in ("Pass", "Distinction") for r in outcomes)) / len(outcomes)).quantize(
                Decimal("0.0001"), ROUND_HALF_UP
            ),
            outcomes.count("Withdrawn"),
        )
        for run, outcomes in results.items()
    }
    actual = oulad_warehouse.rows(
        "select courses.external_id, runs.code, summary.enrollments, summary.completion_rate, summary.drops "
        "from analytics.fct_course_summary as summary "
        "join public.course_runs as runs using (course_run_id) "
        "join public.courses as courses on courses.course_id = summary.course_id"
    )
    assert {
        (external_id.removeprefix("oulad:module:"), code): (enrollments, rate, drops)
        for external_id, code, enrollments, rate, drops in actual
    } == expected
    # Fails are finished but not completed: a run where every finisher passed would not show the difference.
    assert expected[("AAA", "2014J")][1] == Decimal("0.5000")


def test_oulad_funnel_reach_is_the_distinct_students_per_vle_site(oulad_warehouse: Warehouse) -> None:
    sites = {row["id_site"]: (row["code_module"], row["code_presentation"]) for row in _csv("vle.csv")}
    registered = {
        (row["code_module"], row["code_presentation"], row["id_student"])
        for name in ("studentInfo.csv", "studentRegistration.csv")
        for row in _csv(name)
    }
    students: dict[str, set[str]] = {site: set() for site in sites}
    with (OULAD_SLICE / "studentVle.csv").open(newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        for fields in reader:
            # What the importer skips: a row cut short, an empty value, a site vle.csv does not hold, a
            # student not registered on the presentation.
            row = dict(zip(header, fields, strict=False))
            if len(fields) != len(header) or not all(fields) or row["id_site"] not in sites:
                continue
            if (row["code_module"], row["code_presentation"], row["id_student"]) in registered:
                students[row["id_site"]].add(row["id_student"])
    expected = {site: len(clicked) for site, clicked in students.items()}

    actual = oulad_warehouse.rows(
        "select lessons.external_id, funnel.learners_reached "
        "from analytics.fct_course_lesson_funnel as funnel join public.lessons as lessons using (lesson_id)"
    )
    assert {external_id.removeprefix("oulad:site:"): reached for external_id, reached in actual} == expected
    # The slice's quirks are in play: a presentation without clicks, and a site reached by two students.
    assert {count for site, count in expected.items() if sites[site][0] == "BBB"} == {0}
    assert max(expected.values()) == 2
