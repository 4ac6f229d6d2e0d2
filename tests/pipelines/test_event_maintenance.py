"""Event store maintenance in Dagster: the daily partitions schedule and the archive asset, run in process."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import psycopg
from dagster import AssetKey, DagsterInstance, DefaultScheduleStatus, materialize

from pipelines.definitions import build_definitions
from pipelines.defs.events.assets import learner_event_lake
from pipelines.defs.events.resources import EventLakeResource
from pipelines.defs.resources import PostgresResource
from skillstudio.db import libpq_url
from skillstudio.events.partitions import add_months, attached_months, month_start, months_in_default
from skillstudio.settings import Settings
from tests.skillstudio.event_factory import actors, month_events, write


def test_the_daily_schedule_prepares_partitions_and_moves_early_events(
    fresh_database: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, database_url=fresh_database, partition_months_ahead=5)
    definitions = build_definitions(settings)
    schedule = definitions.resolve_schedule_def("ensure_event_partitions_daily")
    assert (schedule.cron_schedule, schedule.default_status) == ("10 0 * * *", DefaultScheduleStatus.RUNNING)
    this_month = month_start(datetime.now(UTC))
    far = add_months(this_month, 5)
    with psycopg.connect(libpq_url(fresh_database), autocommit=True) as conn:
        written = write(conn, month_events(far, 20, actors(2)), partition=False)
        assert months_in_default(conn) == [(far, written)]

    result = definitions.resolve_job_def(schedule.job_name).execute_in_process(
        instance=DagsterInstance.ephemeral()
    )
    assert result.success
    (materialization,) = result.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    assert (
        metadata["rows_in_default_partition"].value == 0 and metadata["latest_month"].value == f"{far:%Y-%m}"
    )
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        assert {add_months(this_month, n) for n in range(6)} <= set(attached_months(conn))
        assert conn.execute(f"select count(*) from learner_events_{far:%Y_%m}").fetchone() == (written,)


def test_maintenance_stays_out_of_refresh_everything_and_the_archive_schedule_runs_by_default(
    shared_database: str, tmp_path: Path
) -> None:
    definitions = build_definitions(Settings(home=tmp_path, database_url=shared_database))
    everything = definitions.resolve_job_def("refresh_everything")
    assert AssetKey("learner_event_lake") not in everything.asset_layer.executable_asset_keys
    assert AssetKey("course_recommender") in everything.asset_layer.executable_asset_keys
    archive = definitions.resolve_schedule_def("archive_learner_events_daily")
    assert archive.default_status == DefaultScheduleStatus.RUNNING
    switched_off = build_definitions(
        Settings(home=tmp_path, database_url=shared_database, archive_schedule_running=False)
    )
    assert switched_off.resolve_schedule_def("archive_learner_events_daily").default_status == (
        DefaultScheduleStatus.STOPPED
    )


def test_the_archive_asset_moves_closed_months_to_the_lake(fresh_database: str, tmp_path: Path) -> None:
    url = libpq_url(fresh_database)
    with psycopg.connect(url, autocommit=True) as conn:
        old = write(conn, month_events(date(2023, 4, 1), 80, actors(3)))
        live = write(conn, month_events(month_start(datetime.now(UTC)), 5, actors(3)))

    result = materialize(
        [learner_event_lake],
        resources={
            "postgres": PostgresResource(url=fresh_database),
            "event_lake": EventLakeResource(local_path=str(tmp_path), archive_older_than="12mo"),
        },
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["rows_moved"].value == old
    assert metadata["months"].value == [{"month": "2023-04", "action": "archived", "rows": old}]
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from learner_events").fetchone() == (live,)
        assert date(2023, 4, 1) not in attached_months(conn)
    assert duckdb.connect().execute(
        f"select count(*) from read_parquet('{tmp_path}/learner_events/*/*/*.parquet', "
        "hive_partitioning = true) where year = 2023 and month = 4"
    ).fetchone() == (old,)
