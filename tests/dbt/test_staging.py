"""The staging layer: one view per table analytics reads, each keeping every row of its table."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.dbt.conftest import OULAD_SLICE, Warehouse

STAGING = Path(__file__).parents[2] / "dbt" / "models" / "staging" / "skillstudio"
SOURCES = STAGING / "_skillstudio__sources.yml"


def _staged_tables() -> dict[str, str]:
    """Source table → its staging model, read from the models' SQL."""
    staged = {}
    for sql in sorted(STAGING.glob("stg_skillstudio__*.sql")):
        text = sql.read_text()
        start = text.index("source('skillstudio', '") + len("source('skillstudio', '")
        staged[text[start : text.index("'", start)]] = sql.stem
    return staged


def test_every_declared_source_table_has_one_staging_model() -> None:
    sources = yaml.safe_load(SOURCES.read_text())["sources"][0]["tables"]
    # A table marked ``staged: false`` is read by macros for control, not analysed (the archive horizon).
    declared = {table["name"] for table in sources if table.get("meta", {}).get("staged", True)}
    assert set(_staged_tables()) == declared
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


def _declared_constraints() -> dict[str, dict[str, Any]]:
    """Source table → the ``meta.constraints`` its declaration gives (NOT NULL, unique keys, foreign keys)."""
    tables = yaml.safe_load(SOURCES.read_text())["sources"][0]["tables"]
    return {
        table["name"]: table["meta"]["constraints"]
        for table in tables
        if "constraints" in table.get("meta", {})
    }


def _passed_through(model: str) -> set[str]:
    """The source columns a staging view selects unchanged (``column`` or ``column as name``)."""
    renamed = (STAGING / f"{model}.sql").read_text().split("renamed as (", 1)[1]
    return {
        found[1] for line in renamed.splitlines() if (found := re.fullmatch(r"\s*(\w+)(?: as \w+)?,?", line))
    }


_NOT_NULL = """
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and is_nullable = 'NO'
"""
# A unique index keeps a key unique when none of its columns can be null, or when nulls are not distinct.
_UNIQUE = """
    select tables.relname, array_agg(columns.attname)
    from pg_index as indexes
    join pg_class as tables on tables.oid = indexes.indrelid
    join pg_attribute as columns
        on columns.attrelid = indexes.indrelid and columns.attnum = any(indexes.indkey)
    where tables.relnamespace = 'public'::regnamespace and indexes.indisunique and indexes.indpred is null
    group by indexes.indexrelid, tables.relname, indexes.indnullsnotdistinct
    having indexes.indnullsnotdistinct or bool_and(columns.attnotnull) or count(*) = 1
"""
_FOREIGN_KEYS = """
    select tables.relname, columns.attname, parents.relname || '.' || parent_columns.attname
    from pg_constraint as keys
    join pg_class as tables on tables.oid = keys.conrelid
    join pg_attribute as columns on columns.attrelid = keys.conrelid and columns.attnum = keys.conkey[1]
    join pg_class as parents on parents.oid = keys.confrelid
    join pg_attribute as parent_columns
        on parent_columns.attrelid = keys.confrelid and parent_columns.attnum = keys.confkey[1]
    where keys.contype = 'f' and cardinality(keys.conkey) = 1 and keys.connamespace = 'public'::regnamespace
"""


def _unheld_constraints(session: Session) -> list[str]:
    """Every declared constraint the migrated schema does not hold, or the staging view does not pass on."""
    not_null = {(table, column) for table, column in session.execute(text(_NOT_NULL))}
    unique = {(table, frozenset(columns)) for table, columns in session.execute(text(_UNIQUE))}
    foreign = {(table, column, parent) for table, column, parent in session.execute(text(_FOREIGN_KEYS))}
    passed_by = {table: _passed_through(model) for table, model in _staged_tables().items()}
    unheld = []
    for table, declared in _declared_constraints().items():
        passed = passed_by[table]
        for column in declared.get("not_null", []):
            if (table, column) not in not_null or column not in passed:
                unheld.append(f"{table}.{column} not null")
        for key in declared.get("unique", []):
            if (table, frozenset(key)) not in unique or not set(key) <= passed:
                unheld.append(f"{table} unique ({', '.join(key)})")
        for column, parent in declared.get("foreign_keys", {}).items():
            parent_table, parent_column = parent.split(".")
            parent_passed = parent_column in passed_by.get(parent_table, set())
            if (table, column, parent) not in foreign or column not in passed or not parent_passed:
                unheld.append(f"{table}.{column} references {parent}")
    return unheld


def test_the_database_holds_every_constraint_the_staging_views_rely_on(session: Session) -> None:
    # The staging views' data tests do not restate these (_skillstudio__sources.yml): the views keep every
    # row of their tables (above), so what the tables hold, the views hold.
    declared = _declared_constraints()
    assert sum(len(constraints.get("not_null", [])) for constraints in declared.values()) > 80
    assert _unheld_constraints(session) == []


def test_a_constraint_a_migration_drops_is_reported(session: Session) -> None:
    # In the test's transaction, rolled back after it.
    session.execute(text("alter table attempt_items alter column served_at drop not null"))
    session.execute(text("alter table lessons drop constraint fk_lessons_module_id_modules"))
    assert _unheld_constraints(session) == [
        "lessons.module_id references modules.module_id",
        "attempt_items.served_at not null",
    ]
