"""``fct_enrollment_features``: every feature recomputed in Python from the raw rows, on the generated history
and on the OULAD slice; nothing dated after day k changes a day-k row; OULAD runs without clicks are a
flagged gap, not idle learners."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.defs.analytics.project import dbt_resource
from skillstudio.db import libpq_url
from skillstudio.sources.oulad.importer import import_oulad
from skillstudio.sources.synthetic import generate
from tests.conftest import DbtDatabase
from tests.dbt import enrollment_feature_expectations as expect
from tests.dbt.conftest import GENERATED, OULAD_SLICE, Warehouse, dbt_build

WAREHOUSES = ["generated_warehouse", "oulad_warehouse"]
# Rebuilds of the features alone: the data tests run on the shared warehouses already.
FEATURES_ONLY = ("--select", "+fct_enrollment_features", "--exclude-resource-type", "test", "unit_test")
# Day k of the no-look-ahead tests: rows up to it must not change when later rows do.
CUT_DAY = 14


@pytest.mark.parametrize("warehouse_name", WAREHOUSES)
def test_mart_equals_its_recomputation_from_raw_rows(
    warehouse_name: str, request: pytest.FixtureRequest
) -> None:
    warehouse: Warehouse = request.getfixturevalue(warehouse_name)

    assert expect.mart_rows(warehouse) == expect.fct_enrollment_features(warehouse)


def test_generated_history_exercises_every_feature(generated_warehouse: Warehouse) -> None:
    """The comparison above is between rows that say something: each feature takes several values."""
    rows = list(expect.fct_enrollment_features(generated_warehouse).values())
    columns = [name.strip() for name in expect.COLUMNS.split(",")]
    varied = {name for index, name in enumerate(columns) if len({row[index] for row in rows}) > 1}
    # Generated courses have no runs, and their quizzes no due dates.
    assert set(columns) - varied == {
        "course_run_id", "assessments_due", "assessments_submitted_late", "assessments_missed",
        "days_registered_before_start", "has_activity_data",
    }  # fmt: skip
    assert all(row[-1] for row in rows)
    assert {row[-2] for row in rows} == {"pass", "distinction", "withdrawn", None}
    # Streaks and gaps of every kind: a current streak, one broken, days since the last activity.
    assert any(row[11] > 1 for row in rows) and any(row[10] > row[11] > 0 for row in rows)
    assert any(row[9] is not None and row[9] > 7 for row in rows)


def test_oulad_slice_exercises_assessments_and_the_coverage_gap(oulad_warehouse: Warehouse) -> None:
    rows = expect.fct_enrollment_features(oulad_warehouse)
    columns = [name.strip() for name in expect.COLUMNS.split(",")]
    index = {name: columns.index(name) for name in columns}
    values = list(rows.values())
    for name in (
        "assessments_due",
        "assessments_submitted",
        "assessments_submitted_late",
        "assessments_missed",
    ):
        assert any(row[index[name]] > 0 for row in values), name
    assert any(row[index["weighted_score"]] is not None for row in values)
    assert any(row[index["is_unregistered"]] for row in values)
    assert any(row[index["days_registered_before_start"]] > 0 for row in values)
    assert {row[index["outcome"]] for row in values} >= {"pass", "withdrawn"}


def test_oulad_run_without_clicks_has_null_activity_not_zeros(oulad_warehouse: Warehouse) -> None:
    """BBB 2014B has no studentVle row in the slice: its rows say so and carry no activity figures, while
    its assessments still count; runs with clicks have no null activity."""
    runs = oulad_warehouse.rows(
        "select runs.code, courses.external_id, features.has_activity_data, "
        "count(*) filter (where features.event_count is null), "
        "count(*) filter (where features.event_count = 0), "
        "count(*) filter (where features.assessments_due > 0) "
        "from analytics.fct_enrollment_features as features "
        "join public.course_runs as runs using (course_run_id) "
        "join public.courses as courses on courses.course_id = features.course_id "
        "group by 1, 2, 3"
    )
    by_run = {(external_id.removeprefix("oulad:module:"), code): rest for code, external_id, *rest in runs}
    clicked = {(row["code_module"], row["code_presentation"]) for row in _csv("studentVle.csv")}
    assert ("BBB", "2014B") not in clicked
    assert by_run[("BBB", "2014B")][0] is False
    assert by_run[("BBB", "2014B")][1] > 0 and by_run[("BBB", "2014B")][3] > 0
    assert {run for run, (covered, *_) in by_run.items() if covered} == clicked & set(by_run)
    assert all(nulls == 0 for covered, nulls, *_ in by_run.values() if covered)


def _csv(name: str) -> list[dict[str, str]]:
    with (OULAD_SLICE / name).open(newline="") as file:
        return list(csv.DictReader(file))


# --- No look-ahead ----------------------------------------------------------------------------------------

# Each enrollment's end of day CUT_DAY, as an instant: the run's start (or the UTC day of enrollment) + k + 1.
CUT_INSTANT = f"""
    (coalesce(runs.starts_on, (enrollments.enrolled_at at time zone 'UTC')::date) + {CUT_DAY + 1})::timestamp
        at time zone 'UTC'
"""
FROM_ENROLLMENTS = "enrollments left join course_runs as runs using (course_run_id)"


def _rebuilt(database: DbtDatabase, tmp_path: Path, load: Callable[[psycopg.Connection], None]) -> Warehouse:
    with psycopg.connect(libpq_url(database.url)) as conn:
        load(conn)
        conn.commit()
    return dbt_build(database.url, tmp_path, *FEATURES_ONLY, profiles=database.profiles)


def _up_to_cut(rows: dict[Any, Any]) -> dict[Any, Any]:
    return {key: row for key, row in rows.items() if key[1] <= CUT_DAY}


def test_nothing_after_day_k_changes_day_k_rows_when_deleted(
    generated_warehouse: Warehouse, dbt_database: DbtDatabase, tmp_path: Path
) -> None:
    """The generated history with every event and attempt after each enrollment's day k deleted (the
    enrollments themselves, the label, stay): rows up to day k are the same, rows after it are not."""

    def load(conn: psycopg.Connection) -> None:
        generate(conn, GENERATED)
        deleted_events = conn.execute(
            f"delete from learner_events as events using {FROM_ENROLLMENTS} "
            f"where events.registration = enrollments.enrollment_id and events.occurred_at >= {CUT_INSTANT}"
        ).rowcount
        deleted_attempts = conn.execute(
            f"delete from assessment_attempts as attempts using {FROM_ENROLLMENTS} "
            "where attempts.enrollment_id = enrollments.enrollment_id "
            f"and attempts.submitted_at >= {CUT_INSTANT}"
        ).rowcount
        assert deleted_events > 200 and deleted_attempts > 20

    cut = _rebuilt(dbt_database, tmp_path, load)
    before, after = expect.mart_rows(generated_warehouse), expect.mart_rows(cut)

    assert _up_to_cut(after) == _up_to_cut(before)
    assert len(_up_to_cut(before)) > 100
    later = [key for key in before if key[1] > CUT_DAY]
    # The cut took something away that later rows saw.
    assert sum(before[key] != after[key] for key in later) > 50


def test_nothing_after_day_k_changes_day_k_rows_when_added(
    oulad_warehouse: Warehouse, dbt_database: DbtDatabase, tmp_path: Path
) -> None:
    """The OULAD slice with, for every enrollment, clicks the day after day k, a graded submission of every
    assessment then, and every score submitted after day k changed: rows up to day k are the same."""

    def load(conn: psycopg.Connection) -> None:
        import_oulad(conn, OULAD_SLICE)
        enrollments = conn.execute(
            "select enrollments.enrollment_id, enrollments.user_id, enrollments.course_id, "
            f"enrollments.course_run_id, {CUT_INSTANT} "
            f"from {FROM_ENROLLMENTS}"
        ).fetchall()
        lessons = dict(conn.execute("select distinct on (course_id) course_id, lesson_id from lessons"))
        for enrollment_id, user_id, course_id, run_id, cut in enrollments:
            later = cut + timedelta(hours=1)
            if course_id in lessons:
                conn.execute(
                    "insert into learner_events (event_id, occurred_at, received_at, actor_id, verb, "
                    "object_type, object_id, course_id, registration, extensions) "
                    "values (gen_random_uuid(), %s, %s, %s, 'completed', 'lesson', %s, %s, %s, %s)",
                    (later, later, user_id, str(lessons[course_id]), course_id, enrollment_id,
                     json.dumps({"clicks": 50})),
                )  # fmt: skip
            conn.execute(
                "insert into assessment_attempts (attempt_id, assessment_id, user_id, enrollment_id, "
                "attempt_number, status, started_at, submitted_at, score_scaled) "
                "select gen_random_uuid(), assessment_id, %s, %s, 9, 'graded', %s, %s, 0.01 from assessments "
                "where course_id = %s and (course_run_id is null or course_run_id = %s)",
                (user_id, enrollment_id, later, later, course_id, run_id),
            )
            conn.execute(
                "update assessment_attempts set score_scaled = 1 - coalesce(score_scaled, 0.5) "
                "where enrollment_id = %s and submitted_at >= %s",
                (enrollment_id, cut),
            )

    added = _rebuilt(dbt_database, tmp_path, load)
    before, after = expect.mart_rows(oulad_warehouse), expect.mart_rows(added)

    assert _up_to_cut(after) == _up_to_cut(before)
    assert len(_up_to_cut(before)) >= 5
    later = [key for key in before if key[1] > CUT_DAY]
    assert later and all(before[key] != after[key] for key in later)


# --- The incremental convention ---------------------------------------------------------------------------


def test_enrollment_days_refresh_rewrites_only_its_window(dbt_database: DbtDatabase, tmp_path: Path) -> None:
    """``int_enrollment_days_aggregated`` is incremental by UTC day: a run given a window recomputes the
    window's days from the events and leaves every other day as it was."""
    url = dbt_database.url
    with psycopg.connect(libpq_url(url)) as conn:
        import_oulad(conn, OULAD_SLICE)
    warehouse = dbt_build(url, tmp_path / "build", *FEATURES_ONLY, profiles=dbt_database.profiles)
    table = (
        "select enrollment_id, activity_date, event_count, click_count "
        "from analytics.int_enrollment_days_aggregated"
    )
    before = {(row[0], row[1]): row[2:] for row in warehouse.rows(table)}
    days = sorted({day for _, day in before})
    outside, inside = days[0], days[-1]
    with psycopg.connect(libpq_url(url)) as conn:
        changed = conn.execute(
            "update learner_events set extensions = jsonb_set(extensions, '{clicks}', "
            "to_jsonb((extensions ->> 'clicks')::int * 2)) "
            "where extensions ? 'clicks' and (occurred_at at time zone 'UTC')::date in (%s, %s)",
            (outside, inside),
        ).rowcount
        assert changed >= 2

    window = {"refresh_from": str(inside), "refresh_to": str(inside)}
    dbt_resource(url, warehouse.profiles).cli(
        ["run", "--select", "int_enrollment_days_aggregated"], target_path=tmp_path / "run", window=window
    ).wait()
    after = {(row[0], row[1]): row[2:] for row in warehouse.rows(table)}

    recomputed = {
        (enrollment_id, day): tuple(counts)
        for enrollment_id, by_day in expect.read_raw(warehouse).activity.items()
        for day, counts in by_day.items()
    }
    assert {key: row for key, row in after.items() if key[1] == inside} == {
        key: row for key, row in recomputed.items() if key[1] == inside
    }
    assert {key: row for key, row in after.items() if key[1] != inside} == {
        key: row for key, row in before.items() if key[1] != inside
    }
    # The day outside the window changed in the events too: it keeps its old rows until refreshed.
    assert any(after[key] != recomputed[key] for key in after if key[1] == outside)
