"""The staging layer: one view per table analytics reads, each keeping every row of its table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from tests.dbt.conftest import OULAD_SLICE, Warehouse

STAGING = Path(__file__).parents[2] / "dbt" / "models" / "staging" / "skillstudio"


def _staged_tables() -> dict[str, str]:
    """Source table → its staging model, read from the models' SQL."""
    staged = {}
    for sql in sorted(STAGING.glob("stg_skillstudio__*.sql")):
        text = sql.read_text()
        start = text.index("source('skillstudio', '") + len("source('skillstudio', '")
        staged[text[start : text.index("'", start)]] = sql.stem
    return staged


# Read by the incremental macros (dbt/macros/refresh_window.sql) to keep archived days, never by a model.
UNSTAGED = {"learner_event_archive"}


def test_every_declared_source_table_has_one_staging_model() -> None:
    sources = yaml.safe_load((STAGING / "_skillstudio__sources.yml").read_text())["sources"][0]["tables"]
    declared = {table["name"] for table in sources}
    assert set(_staged_tables()) == declared - UNSTAGED
    assert declared >= UNSTAGED
    assert {"users", "lessons", "assessment_attempts", "learner_profiles", "course_runs"} <= declared


@pytest.mark.parametrize("warehouse_name", ["generated_warehouse", "oulad_warehouse"])
def test_staging_views_keep_every_row_of_their_table(
    warehouse_name: str, request: pytest.FixtureRequest
) -> None:
    warehouse: Warehouse = request.getfixturevalue(warehouse_name)
    failed = {
        node: status for node, status in warehouse.statuses.items() if status not in {"success", "pass"}
    }
    assert not failed, warehouse.output
    nonempty = 0
    for table, model in _staged_tables().items():
        [(source_rows,)] = warehouse.rows(f"select count(*) from public.{table}")
        [(staged_rows,)] = warehouse.rows(f"select count(*) from analytics.{model}")
        assert staged_rows == source_rows, model
        nonempty += source_rows > 0
    # Most tables hold rows in either history, so the comparison above is not between empty relations.
    assert nonempty >= 8


def test_profiles_expose_the_latest_demographics_without_the_raw_attributes(
    oulad_warehouse: Warehouse,
) -> None:
    columns = {
        name
        for (name,) in oulad_warehouse.rows(
            "select column_name from information_schema.columns "
            "where table_schema = 'analytics' and table_name = 'stg_skillstudio__learner_profiles'"
        )
    }
    assert "attributes" not in columns
    # studentInfo.csv lists presentations in order, so a student's last row holds their latest demographics.
    with (OULAD_SLICE / "studentInfo.csv").open(newline="") as file:
        latest = {row["id_student"]: row for row in csv.DictReader(file)}
    expected = {
        (f"oulad:student:{student}", row["gender"], row["age_band"], row["disability"] == "Y")
        for student, row in latest.items()
    }
    staged = oulad_warehouse.rows(
        "select users.external_id, profiles.gender, profiles.age_band, profiles.has_disability "
        "from analytics.stg_skillstudio__learner_profiles as profiles "
        "join public.users using (user_id)"
    )
    assert set(staged) == expected
