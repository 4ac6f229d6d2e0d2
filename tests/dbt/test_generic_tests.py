"""The project's generic data tests: what they report, and that the models' keys are tested with them."""

from __future__ import annotations

from pathlib import Path

import jinja2
from sqlalchemy import text
from sqlalchemy.orm import Session

from pipelines.defs.analytics.project import DBT_PROJECT_DIR, load_manifest

GENERIC = DBT_PROJECT_DIR / "tests" / "generic"


def _generic_test_sql(path: Path, **arguments: object) -> str:
    """The query of a generic test as dbt renders it for ``arguments`` (dbt's `{% test %}` block is a
    Jinja macro; dbt's wrapping of ``model`` in the refresh window is left out: the relation is given)."""
    source = path.read_text().replace("{% test ", "{% macro ").replace("{% endtest %}", "{% endmacro %}")
    module = jinja2.Environment(autoescape=False).from_string(source).module
    return str(getattr(module, path.stem)(**arguments))


def test_not_null_columns_names_each_column_holding_nulls_and_how_many(session: Session) -> None:
    session.execute(text("create temporary table checked (a int, b text, c date, d int) on commit drop"))
    session.execute(
        text(
            "insert into checked values (1, 'x', date '2026-01-01', null), (2, null, null, null), "
            "(3, null, date '2026-01-03', null)"
        )
    )
    query = _generic_test_sql(GENERIC / "not_null_columns.sql", model="checked", columns=["a", "b", "c"])

    assert sorted(session.execute(text(query)).all()) == [("b", 2), ("c", 1)]
    # d is not listed; without nulls in the listed columns the test returns nothing, so it passes.
    session.execute(text("update checked set b = 'y', c = date '2026-01-02' where b is null or c is null"))
    assert session.execute(text(query)).all() == []


def test_every_model_key_is_tested_unique_and_not_null() -> None:
    """STYLE.md: every model has a primary-key test, unique and not null. Staging views whose source
    declares the database's constraints instead (tests/dbt/test_staging.py checks those) are exempt; a key
    column that may be null (a lesson event sent without a registration) says so in its description."""
    manifest = load_manifest()
    nodes = manifest["nodes"]
    keys: dict[str, list[list[str]]] = {}
    not_null: dict[str, set[str]] = {}
    for node in nodes.values():
        if node["resource_type"] != "test" or "test_metadata" not in node:
            continue
        name, kwargs = node["test_metadata"]["name"], node["test_metadata"]["kwargs"]
        model = node["attached_node"]
        if name == "unique":
            keys.setdefault(model, []).append([kwargs["column_name"]])
        elif name == "unique_combination_of_columns":
            keys.setdefault(model, []).append(list(kwargs["combination_of_columns"]))
        elif name == "not_null_columns":
            not_null.setdefault(model, set()).update(kwargs["columns"])
    # One query per model checks its columns (not_null_columns.sql): dbt's per-column not_null is not used.
    assert not any(node.get("test_metadata", {}).get("name") == "not_null" for node in nodes.values())

    untested, unchecked = [], []
    for unique_id, model in nodes.items():
        if model["resource_type"] != "model" or model["name"].startswith("stg_"):
            continue
        if unique_id not in keys:
            untested.append(model["name"])
        for key in keys.get(unique_id, []):
            for column in key:
                if column in not_null.get(unique_id, set()):
                    continue
                if "null" not in model["columns"].get(column, {}).get("description", "").lower():
                    unchecked.append(f"{model['name']}.{column}")
    assert untested == []
    assert unchecked == []
    assert len(keys) > 30
