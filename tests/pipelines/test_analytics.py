"""Analytics in Dagster, run in process on a small generated history: daily partitions passed to dbt, the
nightly schedule and the new-events sensor, the checks on the marts, and the blocking check that keeps the
recommender from training on a mart that disagrees with the events.

One database for the module: ``refresh_everything`` builds it once; a test that breaks it puts it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
)

from pipelines.definitions import build_definitions
from pipelines.defs.analytics.checks import CHECKS, learner_events_source_freshness
from pipelines.defs.analytics.project import DBT_SESSION_SETTINGS, session_options
from pipelines.defs.analytics.schedules import partition_range_tags
from pipelines.defs.resources import PostgresResource
from pipelines.materialize import materialize_all
from skillstudio.db import libpq_url
from skillstudio.events.contract import EventRow, event_row
from skillstudio.settings import Settings
from skillstudio.sources.synthetic import GeneratorConfig, generate
from tests.pipelines.small_runs import SMALL_PIPELINE_OPS, small_ops
from tests.skillstudio.event_factory import write

# The whole pipeline in the module's fixture, then two refreshes with every data test: about two minutes in
# one group, which tests/scheduling.py starts early; handed out late, it could keep one worker busy alone.
pytestmark = pytest.mark.slow
END = date(2026, 8, 31)
HISTORY = GeneratorConfig(learners=40, courses=5, days=20, seed=5, end_date=END, batch_learners=40)
RECOMMENDER = AssetKey("course_recommender")
INTERACTIONS_CHECK = AssetCheckKey(
    AssetKey("fct_learner_course_interactions"), "interactions_reconcile_with_events"
)


class Analytics:
    """The module's database, its settings and Definitions, and an instance that keeps run history."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.settings = Settings(home=home, database_url=url)
        self.definitions = build_definitions(self.settings)
        self.instance = DagsterInstance.ephemeral()

    def rows(self, query: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(libpq_url(self.url)) as conn:
            return conn.execute(query, params or None).fetchall()

    def execute(self, job: str, **kwargs: object) -> ExecuteInProcessResult:
        definition = self.definitions.resolve_job_def(job)
        ops = small_ops(definition.graph.node_names())
        if ops:
            kwargs.setdefault("run_config", {"ops": ops})
        return definition.execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)

    def run_checks(self) -> dict[str, tuple[bool, AssetCheckSeverity]]:
        """Run the analytics checks alone (no dbt build) as a job of their own; dbt's source freshness
        is left out (the history is months old: it always fails here, and each run costs a dbt start)."""
        checks = [check for check in CHECKS if check is not learner_events_source_freshness]
        job = define_asset_job("checks_only", selection=AssetSelection.checks(*checks))
        definitions = Definitions.merge(self.definitions, Definitions(jobs=[job]))
        result = definitions.resolve_job_def("checks_only").execute_in_process(
            instance=self.instance, raise_on_error=False
        )
        return check_outcomes(result)


def check_outcomes(result: ExecuteInProcessResult) -> dict[str, tuple[bool, AssetCheckSeverity]]:
    return {
        evaluation.check_name: (evaluation.passed, evaluation.severity)
        for evaluation in result.get_asset_check_evaluations()
    }


def course_event(
    learner: uuid.UUID, course: uuid.UUID, verb: str, at: datetime, **fields: object
) -> EventRow:
    return event_row(
        occurred_at=at,
        received_at=fields.pop("received_at", at + timedelta(seconds=1)),
        actor_id=learner,
        verb=verb,
        object_type="course",
        object_id=str(course),
        course_id=course,
        event_id=uuid.uuid4(),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def analytics(database_factory: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analytics]:
    url = database_factory()  # type: ignore[operator]
    with psycopg.connect(libpq_url(url)) as conn:
        generate(conn, HISTORY)
        conn.commit()
    built = Analytics(url, tmp_path_factory.mktemp("analytics"))
    result = materialize_all(built.settings, instance=built.instance, ops=SMALL_PIPELINE_OPS)
    assert result.success
    built.first_run = result  # type: ignore[attr-defined]
    yield built


def a_learner_and_course(analytics: Analytics) -> tuple[uuid.UUID, uuid.UUID]:
    ((learner, course),) = analytics.rows(
        "select learner_id, course_id from analytics.fct_learner_course_interactions "
        "order by learner_id, course_id limit 1"
    )
    return learner, course  # type: ignore[return-value]


def materialized_partitions(result: ExecuteInProcessResult, key: AssetKey) -> set[str | None]:
    return {event.partition for event in result.get_asset_materialization_events() if event.asset_key == key}


def dbt_commands(analytics: Analytics, result: ExecuteInProcessResult) -> list[str]:
    return [
        entry.user_message
        for entry in analytics.instance.all_logs(result.run_id)
        if entry.user_message.startswith("Running dbt command: `") and " build " in entry.user_message
    ]


def refresh_windows(analytics: Analytics, result: ExecuteInProcessResult) -> list[str]:
    """The refresh windows the run's dbt builds got (as environment variables, not ``--vars``)."""
    return [
        entry.user_message.removeprefix("Refresh window: ")
        for entry in analytics.instance.all_logs(result.run_id)
        if entry.user_message.startswith("Refresh window: ")
    ]


def test_everything_is_todays_partition_built_as_dbt_decides_and_the_checks_pass(
    analytics: Analytics,
) -> None:
    result: ExecuteInProcessResult = analytics.first_run  # type: ignore[attr-defined]
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert materialized_partitions(result, AssetKey("fct_platform_daily")) == {today}
    assert materialized_partitions(result, RECOMMENDER) == {None}
    # No window: the first build is a full one, so the marts hold every day of the history.
    (command,) = dbt_commands(analytics, result)
    assert "--vars" not in command
    assert refresh_windows(analytics, result) == ["none, dbt decides"]
    assert analytics.rows(
        "select min(activity_date), max(activity_date) from analytics.fct_platform_daily"
    ) == [(END - timedelta(days=HISTORY.days - 1), END)]
    outcomes = check_outcomes(result)
    assert {key.name for check in CHECKS for key in check.check_keys} <= set(outcomes)
    failed = {name: outcome for name, outcome in outcomes.items() if not outcome[0]}
    # The history ended on END, months ago: dbt's source freshness says so, and nothing else fails.
    assert failed == {"learner_events_source_freshness": (False, AssetCheckSeverity.ERROR)}


def test_the_nightly_schedule_refreshes_yesterday_and_today_in_one_run(analytics: Analytics) -> None:
    schedule = analytics.definitions.resolve_schedule_def("refresh_analytics_daily")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 0 * * *", "UTC")
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 9, 1, 0, 30, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests or []
    assert request.partition_key_range is not None
    assert (request.partition_key_range.start, request.partition_key_range.end) == (
        "2026-08-31",
        "2026-09-01",
    )

    result = analytics.execute(schedule.job_name, tags=request.tags)
    assert result.success
    assert materialized_partitions(result, AssetKey("fct_platform_daily")) == {"2026-08-31", "2026-09-01"}
    (command,) = dbt_commands(analytics, result)
    # The window reaches dbt's macros as environment variables: new --vars would make dbt parse again.
    assert "--vars" not in command
    assert refresh_windows(analytics, result) == [
        '{"refresh_from": "2026-08-31", "refresh_to": "2026-09-01"}'
    ]
    assert all(passed for name, (passed, _) in check_outcomes(result).items() if "freshness" not in name)


def test_one_days_partition_picks_up_a_late_event_for_that_day(analytics: Analytics) -> None:
    day = END - timedelta(days=5)
    learner, course = a_learner_and_course(analytics)
    before = analytics.rows(
        "select enrollments from analytics.fct_platform_daily where activity_date = %s", day
    )
    with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
        write(
            conn,
            [
                course_event(
                    learner, course, "registered", datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC)
                )
            ],
        )
    assert not analytics.run_checks()["platform_daily_reconciles_with_events"][0]

    result = analytics.execute("refresh_analytics", partition_key=f"{day}")
    assert result.success
    assert materialized_partitions(result, AssetKey("fct_platform_daily")) == {f"{day}"}
    (command,) = dbt_commands(analytics, result)
    assert "--vars" not in command
    assert refresh_windows(analytics, result) == [f'{{"refresh_from": "{day}", "refresh_to": "{day}"}}']
    after = analytics.rows(
        "select enrollments from analytics.fct_platform_daily where activity_date = %s", day
    )
    assert after == [(before[0][0] + 1,)]
    assert check_outcomes(result)["platform_daily_reconciles_with_events"] == (True, AssetCheckSeverity.ERROR)


def test_the_sensor_requests_the_days_of_newly_received_events_in_one_run(analytics: Analytics) -> None:
    sensor = analytics.definitions.resolve_sensor_def("new_learner_events")
    resources = {"postgres": PostgresResource(url=analytics.url)}

    def evaluate(cursor: str | None) -> SensorResult | SkipReason:
        with build_sensor_context(cursor=cursor, resources=resources) as context:
            return sensor(context)  # type: ignore[no-any-return]

    # The first evaluation starts watching from the newest event: the history is built already.
    first = evaluate(None)
    assert isinstance(first, SensorResult) and not first.run_requests
    ((newest,),) = analytics.rows("select max(received_at) from learner_events")
    assert first.cursor == newest.isoformat()  # type: ignore[attr-defined]
    # Nothing new, no run.
    assert isinstance(evaluate(first.cursor), SkipReason)

    # A late event for an old day and one for today, received now; one stamped as received in an hour
    # is not received yet.
    learner, course = a_learner_and_course(analytics)
    now = datetime.now(UTC)
    old_day = END - timedelta(days=8)
    events = [
        course_event(
            learner,
            course,
            "experienced",
            datetime(old_day.year, old_day.month, old_day.day, 12, tzinfo=UTC),
            received_at=now - timedelta(seconds=5),
        ),
        course_event(
            learner,
            course,
            "experienced",
            now - timedelta(seconds=30),
            received_at=now - timedelta(seconds=3),
        ),
        course_event(learner, course, "experienced", now, received_at=now + timedelta(hours=1)),
    ]
    with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
        write(conn, events)
    try:
        second = evaluate(first.cursor)
        assert isinstance(second, SensorResult)
        (request,) = second.run_requests or []
        assert request.tags == partition_range_tags(old_day, now.date())
        assert request.job_name in (None, "refresh_analytics")
        assert datetime.fromisoformat(second.cursor or "") == now - timedelta(seconds=3)
        assert isinstance(evaluate(second.cursor), SkipReason)
    finally:
        with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
            conn.execute(
                "delete from learner_events where event_id = any(%s)", ([row.event_id for row in events],)
            )


def test_a_failing_blocking_check_stops_training_until_the_mart_agrees(analytics: Analytics) -> None:
    assert analytics.definitions.resolve_asset_graph().get_check_spec(INTERACTIONS_CHECK).blocking
    schedule = analytics.definitions.resolve_schedule_def("retrain_models_weekly")
    assert (schedule.job_name, schedule.cron_schedule) == ("retrain_models", "0 3 * * 1")
    day = END - timedelta(days=2)
    learner, course = a_learner_and_course(analytics)
    # An event the interactions mart has not seen: the marts are behind the events.
    unseen = course_event(
        learner, course, "experienced", datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    )
    with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
        write(conn, [unseen])

    blocked = analytics.execute("retrain_models")
    assert not blocked.success
    assert check_outcomes(blocked)["interactions_reconcile_with_events"] == (False, AssetCheckSeverity.ERROR)
    assert materialized_partitions(blocked, RECOMMENDER) == set()

    # Without that event the mart agrees again, and training goes ahead.
    with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
        conn.execute("delete from learner_events where event_id = %s", (unseen.event_id,))
    trained = analytics.execute("retrain_models")
    assert trained.success
    assert check_outcomes(trained)["interactions_reconcile_with_events"] == (True, AssetCheckSeverity.ERROR)
    assert materialized_partitions(trained, RECOMMENDER) == {None}


def test_the_checks_fail_on_marts_and_events_that_are_wrong(analytics: Analytics) -> None:
    assert all(passed for name, (passed, _) in analytics.run_checks().items() if "freshness" not in name)
    learner, course = a_learner_and_course(analytics)
    now = datetime.now(UTC)
    far_month = datetime(now.year + 5, 1, 15, tzinfo=UTC)
    wrong_events = [
        # Dated after its own receipt: intake would have refused it.
        course_event(learner, course, "experienced", now + timedelta(hours=1), received_at=now),
        # Years ahead, in a month with no partition: it lands in the default partition.
        course_event(learner, course, "experienced", far_month, received_at=far_month),
    ]
    # The mart loses its days from the last one with enrollments on (a run with a day's partition also
    # writes the quiet days up to it, rows of zeros that no reconciliation would miss).
    statements = [
        "create table analytics.saved_platform_daily as select * from analytics.fct_platform_daily "
        "where activity_date >= "
        "(select max(activity_date) from analytics.fct_platform_daily where enrollments > 0)",
        "delete from analytics.fct_platform_daily "
        "where activity_date >= (select min(activity_date) from analytics.saved_platform_daily)",
    ]
    with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
        write(conn, wrong_events, partition=False)
        for statement in statements:
            conn.execute(statement)
    try:
        outcomes = analytics.run_checks()
    finally:
        with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
            conn.execute(
                "delete from learner_events where event_id = any(%s)",
                ([row.event_id for row in wrong_events],),
            )
            conn.execute(
                "insert into analytics.fct_platform_daily select * from analytics.saved_platform_daily"
            )
            conn.execute("drop table analytics.saved_platform_daily")
    assert outcomes["no_events_in_default_partition"] == (False, AssetCheckSeverity.ERROR)
    assert outcomes["no_future_events"] == (False, AssetCheckSeverity.ERROR)
    assert outcomes["platform_daily_reconciles_with_events"] == (False, AssetCheckSeverity.ERROR)
    assert outcomes["platform_daily_is_fresh"] == (False, AssetCheckSeverity.ERROR)
    # Both wrong events are course events the mart has not seen.
    assert outcomes["interactions_reconcile_with_events"] == (False, AssetCheckSeverity.ERROR)
    assert all(passed for name, (passed, _) in analytics.run_checks().items() if "freshness" not in name)


def test_events_dated_later_today_but_not_after_receipt_only_warn(analytics: Analytics) -> None:
    # What the demo's generator writes for the rest of today: a warning, never an error that blocks.
    learner, course = a_learner_and_course(analytics)
    later = datetime.now(UTC) + timedelta(hours=2)
    event = course_event(learner, course, "experienced", later, received_at=later + timedelta(seconds=1))
    with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
        write(conn, [event])
    try:
        outcomes = analytics.run_checks()
    finally:
        with psycopg.connect(libpq_url(analytics.url), autocommit=True) as conn:
            conn.execute("delete from learner_events where event_id = %s", (event.event_id,))
    assert outcomes["no_future_events"] == (False, AssetCheckSeverity.WARN)


def test_dbt_sessions_get_the_analytics_settings_after_the_environments_own() -> None:
    settings = " ".join(f"-c {name}={value}" for name, value in DBT_SESSION_SETTINGS.items())
    assert "-c work_mem=" in settings
    assert session_options(None) == settings
    assert session_options("") == settings
    # libpq applies PGOPTIONS left to right: the project's settings come last and win.
    assert session_options("-c statement_timeout=0") == f"-c statement_timeout=0 {settings}"
