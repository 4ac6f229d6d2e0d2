"""Partitions ahead of time, by hand (``skillstudio events partitions``), and the archive command's ages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from skillstudio.db import libpq_url
from skillstudio.events.partitions import (
    Age,
    add_months,
    attached_months,
    closed_before,
    month_start,
    months_in_default,
    parse_age,
)
from skillstudio.main.cli import app
from skillstudio.settings import get_settings
from tests.skillstudio.event_factory import actors, month_events, write

WIDE = {"COLUMNS": "200"}


@pytest.mark.parametrize(
    ("text", "age"),
    [("12mo", Age(months=12)), ("1y", Age(months=12)), ("3 months", Age(months=3)), ("90d", Age(days=90)),
     ("6w", Age(days=42))],
)  # fmt: skip
def test_ages_read_as_written(text: str, age: Age) -> None:
    assert parse_age(text) == age


def test_an_unreadable_age_says_what_works() -> None:
    with pytest.raises(ValueError, match="e.g. 12mo, 1y, 6w or 90d"):
        parse_age("a year")


def test_a_month_is_closed_once_it_ended_before_now_minus_the_age() -> None:
    now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    # 12 months before 25 Nov 2026 is 25 Nov 2025: October 2025 has ended by then, November has not.
    assert closed_before(parse_age("12mo").cutoff(now)) == date(2025, 11, 1)
    assert closed_before(parse_age("90d").cutoff(now)) == date(2026, 8, 1)
    # Calendar months, clamped: one month before 31 March is 28 February.
    assert Age(months=1).cutoff(datetime(2026, 3, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert add_months(date(2026, 1, 1), -13) == date(2024, 12, 1)


@pytest.fixture
def cli_env(fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI pointed at a database and a home of the test's own."""
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", fresh_database)
    monkeypatch.setenv("SKILLSTUDIO_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield libpq_url(fresh_database)
    get_settings.cache_clear()


def test_partitions_command_creates_months_ahead_and_moves_early_events(cli_env: str) -> None:
    this_month = month_start(datetime.now(UTC))
    far = add_months(this_month, 5)  # the migration prepared only three months ahead
    with psycopg.connect(cli_env, autocommit=True) as conn:
        written = write(conn, month_events(far, 30, actors(3)), partition=False)
        assert far not in attached_months(conn)
        assert months_in_default(conn) == [(far, written)]

    result = CliRunner().invoke(app, ["events", "partitions", "--ahead", "6"], env=WIDE)
    assert result.exit_code == 0, result.output
    with psycopg.connect(cli_env) as conn:
        assert [add_months(this_month, n) for n in range(7)] == [
            month for month in attached_months(conn) if month >= this_month
        ]
        assert conn.execute(f"select count(*) from learner_events_{far:%Y_%m}").fetchone() == (written,)
        assert months_in_default(conn) == []
    line = next(line for line in result.stdout.splitlines() if f"learner_events_{far:%Y_%m}" in line)
    assert f"{far:%Y-%m}" in line and str(written) in line and "created now" in line
    assert "learner_events_default" in result.stdout


def test_archive_command_moves_old_months_to_the_home_lake(cli_env: str, tmp_path: Path) -> None:
    with psycopg.connect(cli_env, autocommit=True) as conn:
        old = write(conn, month_events(date(2024, 5, 1), 120, actors(4)))
        recent = write(conn, month_events(month_start(datetime.now(UTC)), 10, actors(4)))

    dry = CliRunner().invoke(app, ["events", "archive", "--older-than", "12mo", "--dry-run"], env=WIDE)
    assert dry.exit_code == 0, dry.output
    assert "2024-05" in dry.stdout and "120" in dry.stdout
    assert not (tmp_path / "lake").exists()

    result = CliRunner().invoke(app, ["events", "archive", "--older-than", "12mo"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "2024-05" in result.stdout and "archived" in result.stdout
    stored = (
        tmp_path / "lake" / "learner_events" / "year=2024" / "month=05" / "learner_events_2024_05.parquet"
    )
    assert stored.exists()
    with psycopg.connect(cli_env) as conn:
        assert conn.execute("select count(*) from learner_events").fetchone() == (recent,)
        assert conn.execute("select row_count from learner_event_archive").fetchall() == [(old,)]

    again = CliRunner().invoke(app, ["events", "archive", "--older-than", "12mo"], env=WIDE)
    assert again.exit_code == 0 and "nothing to archive" in again.stdout


def test_archive_command_rejects_an_unreadable_age(cli_env: str) -> None:
    result = CliRunner().invoke(app, ["events", "archive", "--older-than", "soon"], env=WIDE)
    assert result.exit_code == 2 and "12mo" in result.output
