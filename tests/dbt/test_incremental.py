"""The incremental convention held on a real history: refreshing day by day gives what one full build gives.

Two databases get the same generated history. One is built at once. In the other the events arrive a day at
a time, as they would in production: the first day's events and a full build, then each later day's events
and a refresh of that day alone (``refresh_from`` = ``refresh_to`` = the day). Every incremental model must
then hold the same rows in both. The tests after that one change the databases (a late event, an archived
month), so they run in this file's order, on the warehouses of the module's fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipelines.defs.analytics.project import dbt_resource, load_manifest
from skillstudio.db import libpq_url
from skillstudio.events import write_events
from skillstudio.events.contract import event_row
from skillstudio.lake.archive import archive_closed_months
from skillstudio.lake.store import LocalLakeStore
from skillstudio.sources.synthetic import GeneratorConfig, generate

# Minutes of dbt runs (tests/scheduling.py starts the module early).
pytestmark = pytest.mark.slow
# Six days over a month's end (28 July to 2 August), so that one month can be archived while the next stays
# live, and the days the tests below pick are each a different case: the late event lands on 30 July, inside
# July and before the boundary; the refreshed-again window (29 July to 1 August) crosses the boundary; the
# archive keeps four July days and refreshes two August ones. Every day is a dbt run (seconds each), so the
# history holds these days and no more.
HISTORY = GeneratorConfig(
    learners=60, courses=5, days=6, seed=31, end_date=date(2026, 8, 2), batch_learners=60
)
ARCHIVED_MONTH = date(2026, 7, 1)
FIRST_LIVE_MONTH = date(2026, 8, 1)
# The incremental models that read events themselves; the others read these.
EVENT_READERS = (
    "int_learner_course_days_aggregated",
    "int_learner_lesson_days_aggregated",
    # With its streaks, which a refresh takes from the table's row of the day before the window.
    "fct_learner_daily",
)
INCREMENTAL_MODELS = (
    *EVENT_READERS,
    "int_learner_first_active_days",
    "int_cohort_first_active_days",
    "fct_course_daily",
    "fct_learner_course_interactions",
    "fct_platform_daily",
    # The enrollment grid (enrollment_grid.sql): incremental by day and by the enrollments whose anchors
    # changed; read from the daily ones.
    "int_enrollment_anchors",
    "int_enrollments_gridded",
    "int_enrollment_grid_activity_accumulated",
    "int_enrollment_grid_assessments_accumulated",
    "fct_enrollment_features",
    # Incremental by learner or enrollment: the keys active in the window are recomputed whole.
    "int_enrollment_streaks_identified",
    "int_learner_lessons_aggregated",
    "fct_skill_responses",
    # Incremental by attempt day: the days on which the window's answered attempts started, recomputed whole
    # (its floating-point sums included, bit for bit).
    "int_question_days_aggregated",
)
# Models read from those: views and tables rebuilt whole, compared too.
DERIVED_MODELS = ("fct_course_summary", "fct_course_lesson_funnel", "fct_question_stats")
# What a day's refresh runs here: the daily models, and the accumulated ones with the tables they read
# (the pipeline's refresh builds every model; this is the part these tests compare).
DAILY = "tag:daily +fct_enrollment_features +fct_skill_responses +int_question_days_aggregated"
# What the full builds run: the daily models and the derived ones with what they read (the tables rebuilt
# whole and their views; every incremental model among those is in DAILY). Not the other marts: only these
# are compared.
BUILT = " ".join([DAILY, *(f"+{name}" for name in DERIVED_MODELS)])


@dataclass(frozen=True)
class Dbt:
    """dbt on one database, with a target folder kept between runs so that parsing is partial."""

    url: str
    workdir: Path

    def __call__(
        self, *args: str, check: bool = True, window: dict[str, str] | None = None
    ) -> tuple[int, str]:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("PGTZ", "Pacific/Auckland")
            invocation = dbt_resource(self.url, self.workdir / "profiles").cli(
                list(args), raise_on_error=False, target_path=self.workdir / "target", window=window
            )
            output = "\n".join(str(event) for event in invocation.stream_raw_events())
        returncode = invocation.process.returncode
        assert returncode == 0 or not check, output
        return returncode, output

    def refresh(self, first: date, last: date | None = None) -> None:
        self("run", "--select", DAILY, window={"refresh_from": f"{first}", "refresh_to": f"{last or first}"})

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq_url(self.url)) as conn:
            return conn.execute(query, params or None).fetchall()

    def model(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of a model, every column, in a total order; but not the bookkeeping of the enrollment
        grid's refresh, which differs between any two runs: the run's stamp (``refreshed_at``), and the
        enrollments the anchors keep as removed (a full build never saw them)."""
        columns = [
            column
            for (column,) in self.rows(
                "select column_name from information_schema.columns where table_schema = 'analytics' "
                "and table_name = %s and column_name <> 'refreshed_at' order by ordinal_position",
                name,
            )
        ]
        assert columns, f"{name} is not built"
        live = "where not is_removed" if "is_removed" in columns else ""
        order = ", ".join(str(position) for position in range(1, len(columns) + 1))
        return self.rows(f"select {', '.join(columns)} from analytics.{name} {live} order by {order}")

    def snapshot(self, models: tuple[str, ...] = INCREMENTAL_MODELS) -> dict[str, list[tuple[Any, ...]]]:
        return {name: self.model(name) for name in models}


@dataclass(frozen=True)
class Histories:
    at_once: Dbt
    day_by_day: Dbt
    days: list[date]


def _generated(database_factory: Callable[[], str]) -> str:
    url = database_factory()
    with psycopg.connect(libpq_url(url)) as conn:
        generate(conn, HISTORY)
        conn.commit()
    return url


@pytest.fixture(scope="module")
def histories(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Histories:
    at_once = Dbt(_generated(database_factory), tmp_path_factory.mktemp("dbt-at-once"))
    # Models only: what is compared here is their rows. The project's data and unit tests pass on a full
    # build of a larger generated history (tests.warehouses' generated_warehouse).
    at_once("run", "--select", BUILT)

    day_by_day = Dbt(_generated(database_factory), tmp_path_factory.mktemp("dbt-day-by-day"))
    with psycopg.connect(libpq_url(day_by_day.url)) as conn:
        conn.execute("create table held_events as select * from learner_events")
        conn.execute("delete from learner_events")
        days = [
            day
            for (day,) in conn.execute(
                "select distinct (occurred_at at time zone 'UTC')::date from held_events order by 1"
            )
        ]
        conn.commit()

    def arrive(day: date) -> None:
        with psycopg.connect(libpq_url(day_by_day.url)) as conn:
            conn.execute(
                "insert into learner_events select * from held_events "
                "where (occurred_at at time zone 'UTC')::date = %s",
                (day,),
            )

    arrive(days[0])
    day_by_day("run", "--select", BUILT)
    for day in days[1:-1]:
        arrive(day)
        day_by_day.refresh(day)
    # The last day's refresh also rebuilds the tables read from the incremental models, whole, as every run
    # of the project does, with their views: rebuilding a view or table drops the views on it (dbt swaps and
    # drops with cascade). Its incremental models are the daily ones, refreshed over its window.
    arrive(days[-1])
    day_by_day("run", "--select", BUILT, window={"refresh_from": f"{days[-1]}", "refresh_to": f"{days[-1]}"})
    return Histories(at_once=at_once, day_by_day=day_by_day, days=days)


def test_every_model_that_reads_events_is_incremental_by_day() -> None:
    models = [node for node in load_manifest()["nodes"].values() if node["resource_type"] == "model"]
    readers = {
        model["name"]: (model["config"]["materialized"], "daily" in model["tags"])
        for model in models
        if "model.skillstudio.stg_skillstudio__learner_events" in model["depends_on"]["nodes"]
    }

    assert set(readers.values()) == {("incremental", True)}, readers
    assert set(EVENT_READERS) <= set(readers)
    # The marts of this convention read the intermediates, not events; so do the tables rebuilt whole.
    assert not {*INCREMENTAL_MODELS[len(EVENT_READERS) :], *DERIVED_MODELS} & set(readers)


def test_day_by_day_refreshes_equal_one_full_build(histories: Histories) -> None:
    at_once = histories.at_once.snapshot(INCREMENTAL_MODELS + DERIVED_MODELS)
    day_by_day = histories.day_by_day.snapshot(INCREMENTAL_MODELS + DERIVED_MODELS)

    for name in at_once:
        assert day_by_day[name] == at_once[name], name
    # The history spans the days, both months and the figures the windows are about.
    daily = at_once["fct_platform_daily"]
    assert [row[0] for row in daily] == histories.days and len(histories.days) == HISTORY.days
    assert {day.month for day in histories.days} == {7, 8}
    assert all(0 < row[1] <= row[2] <= row[3] for row in daily) and any(row[2] > row[1] for row in daily)
    assert sum(row[5] for row in daily) == len(at_once["int_learner_first_active_days"]) > 0
    assert all(at_once[name] for name in at_once)


def test_refreshing_a_day_again_changes_nothing(histories: Histories) -> None:
    before = histories.day_by_day.snapshot()

    histories.day_by_day.refresh(histories.days[-1])
    histories.day_by_day.refresh(histories.days[1], histories.days[4])

    assert histories.day_by_day.snapshot() == before


def _late_event(url: str, day: date, course_id: uuid.UUID, actor_id: uuid.UUID) -> None:
    at = datetime.combine(day, time(23, 59, 59), UTC)
    rows = [
        event_row(occurred_at=at, actor_id=actor_id, verb="registered", object_type="course",
                  object_id=str(course_id), course_id=course_id),
        event_row(occurred_at=at, actor_id=actor_id, verb="passed", object_type="assessment",
                  object_id="late-quiz", course_id=course_id, score_scaled=0.9),
    ]  # fmt: skip
    with psycopg.connect(libpq_url(url)) as conn:
        write_events(conn, rows)
        conn.commit()


def test_a_late_event_is_picked_up_when_its_day_is_refreshed(histories: Histories) -> None:
    day = histories.days[2]
    course_id = histories.at_once.rows("select course_id from courses order by course_id limit 1")[0][0]
    actor_id = uuid.UUID("00000000-0000-4000-8000-00000000a7e0")
    daily_of = "select * from analytics.fct_platform_daily where activity_date = %s"
    before = histories.day_by_day.rows(daily_of, day)[0]
    for dbt in (histories.at_once, histories.day_by_day):
        _late_event(dbt.url, day, course_id, actor_id)

    histories.day_by_day.refresh(day)

    after = histories.day_by_day.rows(daily_of, day)[0]
    # A newcomer: dau, wau, mau, new_learners, enrollments, quiz_attempts and quiz_passes each gain one.
    gained = [after[column] - before[column] for column in (1, 2, 3, 5, 6, 7, 8, 9, 10, 11)]
    assert gained == [1, 1, 1, 1, 1, 0, 0, 0, 1, 1]
    assert histories.day_by_day.rows(
        "select first_active_on from analytics.int_learner_first_active_days where learner_id = %s", actor_id
    ) == [(day,)]
    assert histories.day_by_day.rows(
        "select event_count, is_enrolled from analytics.fct_learner_course_interactions "
        "where learner_id = %s",
        actor_id,
    ) == [(1, True)]
    # Refreshing the days after it as well (their WAU and MAU include the newcomer) gives the full build.
    histories.day_by_day.refresh(day, histories.days[-1])
    histories.at_once("run", "--select", DAILY, "--full-refresh")
    assert histories.day_by_day.snapshot() == histories.at_once.snapshot()


ADDED_ENROLLMENT = uuid.UUID("00000000-0000-4000-8000-00000000e011")
FEATURE_DAYS = (7, 14, 30, 60, 100, 150, 200, 250)


def _change_enrollments(url: str, enrolled_at: datetime) -> tuple[uuid.UUID, uuid.UUID]:
    """After their grid rows were written, one enrollment is dropped, one removed (as when its learner is
    erased) and one added (ADDED_ENROLLMENT, at ``enrolled_at``): (dropped, removed)."""
    with psycopg.connect(libpq_url(url)) as conn:
        (dropped, _), (removed, learner) = conn.execute(
            "select enrollment_id, user_id from enrollments where status = 'active' "
            "order by enrollment_id limit 2"
        ).fetchall()
        conn.execute(
            "update enrollments set status = 'dropped', unregistered_at = enrolled_at + interval '2 days' "
            "where enrollment_id = %s",
            (dropped,),
        )
        conn.execute("delete from enrollments where enrollment_id = %s", (removed,))
        added = conn.execute(
            "insert into enrollments (enrollment_id, user_id, course_id, status, enrolled_at) "
            "select %s, %s, course_id, 'active', %s from courses "
            "where course_id not in (select course_id from enrollments where user_id = %s) "
            "order by course_id limit 1",
            (ADDED_ENROLLMENT, learner, enrolled_at, learner),
        ).rowcount
        assert added == 1, "the learner is enrolled in every course"
        conn.commit()
    return dropped, removed


def test_changed_enrollments_are_gridded_again_by_the_next_refresh(histories: Histories) -> None:
    enrolled_at = datetime.combine(histories.days[0], time(12), UTC)
    dropped, removed = _change_enrollments(histories.day_by_day.url, enrolled_at)
    assert _change_enrollments(histories.at_once.url, enrolled_at) == (dropped, removed)

    # No new event: the grid's models find the enrollments whose anchors changed, whatever the window.
    histories.day_by_day.refresh(histories.days[-1])
    histories.at_once("run", "--select", DAILY, "--full-refresh")

    assert histories.day_by_day.snapshot() == histories.at_once.snapshot()
    anchor = "select is_removed, first_grid_k from analytics.int_enrollment_anchors where enrollment_id = %s"
    assert histories.day_by_day.rows(anchor, removed) == [(True, None)]
    rows = {
        row[0]: row[1:]
        for row in histories.day_by_day.rows(
            "select enrollment_id, count(*), bool_or(completed), bool_or(is_unregistered) "
            "from analytics.fct_enrollment_features where enrollment_id = any(%s) group by enrollment_id",
            [dropped, removed, ADDED_ENROLLMENT],
        )
    }
    today = datetime.now(UTC).date()
    added_days = len([k for k in FEATURE_DAYS if histories.days[0] + timedelta(days=k) < today])
    assert rows[ADDED_ENROLLMENT] == (added_days, None, False) and added_days > 0
    assert rows[dropped][1:] == (False, True)  # labelled as not completed on every row, and unregistered
    assert removed not in rows


def test_rows_of_enrollments_gone_while_the_anchors_were_rebuilt_go_too(histories: Histories) -> None:
    # Removed and then the anchors built whole: no anchor says "removed" any more, yet the rows must go.
    for dbt in (histories.at_once, histories.day_by_day):
        with psycopg.connect(libpq_url(dbt.url)) as conn:
            conn.execute("delete from enrollments where enrollment_id = %s", (ADDED_ENROLLMENT,))
            conn.commit()
    histories.day_by_day("run", "--select", "int_enrollment_anchors", "--full-refresh")

    histories.day_by_day.refresh(histories.days[-1])
    histories.at_once("run", "--select", DAILY, "--full-refresh")

    assert histories.day_by_day.snapshot() == histories.at_once.snapshot()
    assert not histories.day_by_day.rows(
        "select 1 from analytics.fct_enrollment_features where enrollment_id = %s", ADDED_ENROLLMENT
    )


def test_archived_month_keeps_its_rows_and_refuses_a_full_build(histories: Histories, tmp_path: Path) -> None:
    dbt = histories.day_by_day
    before = dbt.snapshot()
    july = [day for day in histories.days if day < FIRST_LIVE_MONTH]
    assert len(july) >= 2

    results = archive_closed_months(libpq_url(dbt.url), LocalLakeStore(tmp_path), before=FIRST_LIVE_MONTH)

    assert [(result.month, result.action) for result in results] == [(ARCHIVED_MONTH, "archived")]
    assert dbt.rows("select count(*) from learner_events where occurred_at < %s", FIRST_LIVE_MONTH) == [(0,)]
    # A window over both months refreshes August alone; July's rows, and August's MAU over July, stay.
    dbt.refresh(july[0], histories.days[-1])
    assert dbt.snapshot() == before
    dbt("run", "--select", DAILY)  # without a window: from each model's last day
    assert dbt.snapshot() == before
    assert any(row[0] in july for row in before["fct_platform_daily"])

    returncode, output = dbt("run", "--select", DAILY, "--full-refresh", check=False)

    assert returncode != 0
    assert f"learner_events months up to {ARCHIVED_MONTH} are archived to the lake" in output
    assert "drop_archived_days" in output
    assert dbt.snapshot() == before
