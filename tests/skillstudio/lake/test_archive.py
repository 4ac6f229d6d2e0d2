"""The lake: closed months go to Parquet, verified, and only then leave the database; nothing is ever lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from datetime import date
from pathlib import Path

import boto3
import duckdb
import polars as pl
import psycopg
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from skillstudio.db import libpq_url
from skillstudio.events.partitions import attached_months, ensure_month_partitions
from skillstudio.lake.archive import LakeError, archive_closed_months, export_month, lake_lock, manifest
from skillstudio.lake.format import event_columns, parquet_digest, pg_digest
from skillstudio.lake.manifest import WORK_PREFIX
from skillstudio.lake.store import LocalLakeStore, S3LakeStore, month_key, store_from_settings
from skillstudio.settings import Settings
from tests.skillstudio.event_factory import actors, month_events, write

JANUARY, FEBRUARY, MARCH = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
LEARNERS = actors(12)


@pytest.fixture
def url(fresh_database: str) -> str:
    return libpq_url(fresh_database)


@pytest.fixture
def conn(url: str) -> psycopg.Connection:
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def seeded(conn: psycopg.Connection) -> dict[date, int]:
    """January and February 2024 in their partitions, March partly in the default partition."""
    counts = {JANUARY: write(conn, month_events(JANUARY, 300, LEARNERS))}
    counts[FEBRUARY] = write(conn, month_events(FEBRUARY, 200, LEARNERS, seed=1))
    counts[MARCH] = write(conn, month_events(MARCH, 50, LEARNERS, seed=2), partition=False)
    return counts


def lake_rows(root: Path) -> dict[int, int]:
    rows = duckdb.sql(
        f"select month::int, count(*) from read_parquet('{root}/learner_events/*/*/*.parquet', "
        "hive_partitioning = true) group by all order by 1"
    ).fetchall()
    return dict(rows)


def test_checksum_is_computed_alike_by_postgres_and_from_the_file(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    store = LocalLakeStore(tmp_path)
    result = export_month(url, store, JANUARY)
    stored = tmp_path / month_key(JANUARY)
    columns = event_columns(conn)
    in_postgres = pg_digest(conn, columns, "learner_events_2024_01")
    assert result.rows == seeded[JANUARY] == in_postgres.row_count
    assert parquet_digest(stored) == in_postgres
    # One changed value anywhere changes the checksum.
    conn.execute(
        "update learner_events set response = response || ' ' where response is not null and random() < 2"
    )
    assert pg_digest(conn, columns, "learner_events_2024_01") != in_postgres
    # The copy left the database alone.
    assert JANUARY in attached_months(conn) and manifest(conn) == {}


def test_archive_to_a_local_folder_readable_by_duckdb_and_polars(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    sample = conn.execute(
        "select event_id::text, response, score_scaled, extensions::text, occurred_at from learner_events "
        "where response like 'said%%' and occurred_at < '2024-02-01' order by event_id limit 1"
    ).fetchone()
    assert sample is not None
    results = archive_closed_months(url, LocalLakeStore(tmp_path), before=MARCH)

    assert [(r.month, r.action, r.rows) for r in results] == [
        (JANUARY, "archived", seeded[JANUARY]),
        (FEBRUARY, "archived", seeded[FEBRUARY]),
    ]
    assert JANUARY not in attached_months(conn) and FEBRUARY not in attached_months(conn)
    # March is not closed: its rows stay where they were.
    assert conn.execute("select count(*) from learner_events_default").fetchone() == (seeded[MARCH],)
    assert conn.execute("select count(*) from learner_events").fetchone() == (seeded[MARCH],)
    recorded = manifest(conn)
    assert recorded[JANUARY].row_count == seeded[JANUARY]
    assert recorded[JANUARY].uri == f"file://{tmp_path / month_key(JANUARY)}"
    assert pq.ParquetFile(tmp_path / month_key(JANUARY)).metadata.row_group(0).column(0).compression == "ZSTD"

    assert lake_rows(tmp_path) == {1: seeded[JANUARY], 2: seeded[FEBRUARY]}
    event_id, response, score, extensions, occurred_at = sample
    found = (
        duckdb.connect()
        .execute(
            f"select response, score_scaled, extensions, occurred_at from read_parquet("
            f"'{tmp_path}/learner_events/*/*/*.parquet', hive_partitioning = true) "
            f"where event_id = '{event_id}'"
        )
        .fetchone()
    )
    assert found == (response, score, extensions, occurred_at)
    assert json.loads(found[2]) == json.loads(extensions)

    frame = pl.scan_parquet(tmp_path / "learner_events" / "**" / "*.parquet", hive_partitioning=True)
    per_month = frame.group_by("month").len().sort("month").collect()
    assert per_month.rows() == [(1, seeded[JANUARY]), (2, seeded[FEBRUARY])]
    row = frame.filter(pl.col("event_id") == event_id).collect()
    assert row["response"].to_list() == [response] and row["occurred_at"].to_list() == [occurred_at]


def test_archive_to_s3(url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path) -> None:
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        store = S3LakeStore("lake", "prod/lake", client=client)
        results = archive_closed_months(url, store, before=MARCH)
        keys = sorted(item["Key"] for item in client.list_objects_v2(Bucket="lake")["Contents"])
        local = tmp_path / "january.parquet"
        client.download_file("lake", f"prod/lake/{month_key(JANUARY)}", str(local))

    assert [r.action for r in results] == ["archived", "archived"]
    # Only the two month files: nothing left behind in staging.
    assert keys == [f"prod/lake/{month_key(JANUARY)}", f"prod/lake/{month_key(FEBRUARY)}"]
    assert manifest(conn)[JANUARY].uri == f"s3://lake/prod/lake/{month_key(JANUARY)}"
    assert duckdb.connect().execute(f"select count(*) from '{local}'").fetchone() == (seeded[JANUARY],)
    assert parquet_digest(local).checksum == manifest(conn)[JANUARY].checksum


KILLED_RUN = """
import importlib, os, signal, sys
from datetime import date
import skillstudio.lake.archive as lake
from skillstudio.lake.store import LocalLakeStore

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

module, name = sys.argv[3].split(":")
setattr(importlib.import_module(module), name, die)
lake.archive_closed_months(sys.argv[1], LocalLakeStore(__import__("pathlib").Path(sys.argv[2])),
                           before=date(2024, 3, 1))
"""


def run_killed(url: str, root: Path, at: str) -> int:
    """Run an archive in another process that is SIGKILLed when it reaches ``at`` (module:function)."""
    script = textwrap.dedent(KILLED_RUN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    return subprocess.run([sys.executable, "-c", script, url, str(root), at], env=env, timeout=120).returncode


def alive(work: Path) -> bool:
    """Whether the process that owns a scratch folder still runs."""
    try:
        os.kill(int(work.name.removeprefix(WORK_PREFIX).split("-")[0]), 0)
    except ProcessLookupError:
        return False
    return True


def test_killed_between_write_and_drop_loses_nothing_and_a_rerun_completes(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    assert run_killed(url, tmp_path, "skillstudio.lake.archive:_detach_and_drop") == -9
    # The file was written, but the partition is still there, whole, and nothing is recorded.
    assert (tmp_path / month_key(JANUARY)).exists()
    assert JANUARY in attached_months(conn) and manifest(conn) == {}
    assert conn.execute("select count(*) from learner_events_2024_01").fetchone() == (seeded[JANUARY],)
    inode = (tmp_path / month_key(JANUARY)).stat().st_ino

    killed_work = [path for path in Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*") if not alive(path)]
    assert killed_work  # the killed process could not remove its copies...

    results = archive_closed_months(url, LocalLakeStore(tmp_path), before=MARCH)
    assert not any(path.exists() for path in killed_work)  # ...the next run did
    assert [(r.month, r.action) for r in results] == [(JANUARY, "reverified"), (FEBRUARY, "archived")]
    assert (tmp_path / month_key(JANUARY)).stat().st_ino == inode  # re-verified, not written again
    assert lake_rows(tmp_path) == {1: seeded[JANUARY], 2: seeded[FEBRUARY]}
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "learner_events_2024_01.parquet",
        "learner_events_2024_02.parquet",
    ]


def test_rerun_changes_nothing(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    store = LocalLakeStore(tmp_path)
    archive_closed_months(url, store, before=MARCH)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    recorded = manifest(conn)
    assert archive_closed_months(url, store, before=MARCH) == []
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")} == before
    assert manifest(conn) == recorded


def test_late_events_for_an_archived_month_are_merged_not_lost(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    store = LocalLakeStore(tmp_path)
    original = month_events(JANUARY, 300, LEARNERS)
    archive_closed_months(url, store, before=FEBRUARY)
    first = manifest(conn)[JANUARY]

    # Late events arrive for January (they land in the default partition), one of them a replay.
    late = month_events(JANUARY, 40, LEARNERS, seed=9)
    assert write(conn, [*late, original[5]], partition=False) == 41
    assert conn.execute("select count(*) from learner_events_default").fetchone() == (41 + seeded[MARCH],)

    results = archive_closed_months(url, store, before=FEBRUARY)
    assert [(r.month, r.action, r.rows) for r in results] == [(JANUARY, "merged", seeded[JANUARY] + 40)]
    merged = manifest(conn)[JANUARY]
    assert merged.row_count == seeded[JANUARY] + 40 and merged.checksum != first.checksum
    assert merged.pending_checksum is None
    assert lake_rows(tmp_path) == {1: seeded[JANUARY] + 40}
    assert parquet_digest(tmp_path / month_key(JANUARY)).checksum == merged.checksum
    late_ids = {str(row[0]) for row in late}
    stored_ids = set(pq.read_table(tmp_path / month_key(JANUARY), columns=["event_id"]).column(0).to_pylist())
    assert late_ids <= stored_ids
    assert conn.execute("select count(*) from learner_events_default").fetchone() == (seeded[MARCH],)


def test_a_recreated_empty_partition_never_replaces_the_archived_file(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    store = LocalLakeStore(tmp_path)
    archive_closed_months(url, store, before=FEBRUARY)
    content, recorded = (tmp_path / month_key(JANUARY)).read_bytes(), manifest(conn)
    with conn.transaction():
        ensure_month_partitions(conn, JANUARY, JANUARY)  # e.g. a generator run over an old range

    results = archive_closed_months(url, store, before=FEBRUARY)
    assert [(r.action, r.rows) for r in results] == [("reverified", seeded[JANUARY])]
    assert (tmp_path / month_key(JANUARY)).read_bytes() == content and manifest(conn) == recorded
    assert JANUARY not in attached_months(conn)


def test_killed_while_replacing_a_merged_file_recovers(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    archive_closed_months(url, LocalLakeStore(tmp_path), before=FEBRUARY)
    write(conn, month_events(JANUARY, 25, LEARNERS, seed=4), partition=False)
    # Killed right after the merged file took the old one's place, before the manifest recorded it.
    assert run_killed(url, tmp_path, "skillstudio.lake.manifest:_record") == -9
    entry = manifest(conn)[JANUARY]
    assert entry.row_count == seeded[JANUARY] and entry.pending_row_count == seeded[JANUARY] + 25
    assert conn.execute("select count(*) from learner_events_2024_01").fetchone() == (25,)

    results = archive_closed_months(url, LocalLakeStore(tmp_path), before=FEBRUARY)
    assert [(r.month, r.action, r.rows) for r in results] == [(JANUARY, "reverified", seeded[JANUARY] + 25)]
    entry = manifest(conn)[JANUARY]
    assert (entry.row_count, entry.pending_row_count) == (seeded[JANUARY] + 25, None)
    assert lake_rows(tmp_path) == {1: seeded[JANUARY] + 25}


def test_a_damaged_lake_file_stops_the_merge_and_keeps_the_rows(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    archive_closed_months(url, LocalLakeStore(tmp_path), before=FEBRUARY)
    stored = tmp_path / month_key(JANUARY)
    table = pq.read_table(stored)
    pq.write_table(table.slice(1), stored)  # one row lost by someone else
    write(conn, month_events(JANUARY, 5, LEARNERS, seed=5), partition=False)

    with pytest.raises(LakeError, match="restore the file"):
        archive_closed_months(url, LocalLakeStore(tmp_path), before=FEBRUARY)
    assert conn.execute("select count(*) from learner_events_2024_01").fetchone() == (5,)


def test_only_one_archive_or_erasure_works_on_the_lake_at_a_time(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    with (
        psycopg.connect(url, autocommit=True) as other,
        lake_lock(other),
        pytest.raises(LakeError, match="another archive or erasure"),
    ):
        archive_closed_months(url, LocalLakeStore(tmp_path), before=MARCH)
    assert JANUARY in attached_months(conn)
    assert [r.action for r in archive_closed_months(url, LocalLakeStore(tmp_path), before=MARCH)] == [
        "archived",
        "archived",
    ]


def test_settings_choose_the_lake(tmp_path: Path) -> None:
    local = store_from_settings(Settings(home=tmp_path))
    assert isinstance(local, LocalLakeStore) and local.root == tmp_path / "lake"
    with mock_aws():
        remote = store_from_settings(
            Settings(
                home=tmp_path, lake_s3_bucket="archive", lake_s3_prefix="events/", lake_s3_region="eu-west-1"
            )
        )
        assert isinstance(remote, S3LakeStore)
        assert remote.uri(month_key(JANUARY)) == f"s3://archive/events/{month_key(JANUARY)}"
        assert remote.glob() == "s3://archive/events/learner_events/*/*/*.parquet"


def test_an_unrecorded_file_with_other_events_is_never_overwritten(
    url: str, conn: psycopg.Connection, seeded: dict[date, int], tmp_path: Path
) -> None:
    archive_closed_months(url, LocalLakeStore(tmp_path), before=FEBRUARY)
    content = (tmp_path / month_key(JANUARY)).read_bytes()
    conn.execute("delete from learner_event_archive")  # the manifest row is lost
    write(conn, month_events(JANUARY, 5, LEARNERS, seed=6), partition=False)

    with pytest.raises(LakeError, match="holds 300 events that the database does not have"):
        archive_closed_months(url, LocalLakeStore(tmp_path), before=FEBRUARY)
    assert (tmp_path / month_key(JANUARY)).read_bytes() == content
    assert conn.execute("select count(*) from learner_events_2024_01").fetchone() == (5,)
