"""``dbt docs generate`` works on a built warehouse, and its catalogue describes every mart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.defs.analytics.docs import DocsError, generate_docs
from tests.dbt.conftest import Warehouse

MARTS = Path(__file__).parents[2] / "dbt" / "models" / "marts"


def test_docs_cover_every_mart_with_its_columns(generated_warehouse: Warehouse) -> None:
    # In the build's folder, as after `dbt build` on a server: its profile and the parse saved with it serve
    # the docs too (a folder of its own would parse the whole project again first).
    assert generated_warehouse.workdir is not None
    site = generate_docs(generated_warehouse.url, generated_warehouse.workdir)

    assert (site / "index.html").stat().st_size > 0
    catalog = json.loads((site / "catalog.json").read_text())
    manifest = json.loads((site / "manifest.json").read_text())
    marts = {path.stem for path in MARTS.rglob("*.sql")}
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert marts <= documented, marts - documented
    for name in marts:
        node = manifest["nodes"][f"model.skillstudio.{name}"]
        assert node["description"], f"{name} has no description"
        in_warehouse = set(catalog["nodes"][f"model.skillstudio.{name}"]["columns"])
        assert set(node["columns"]) <= in_warehouse, (name, set(node["columns"]) - in_warehouse)


def test_a_database_dbt_cannot_reach_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DocsError, match="dbt docs generate"):
        generate_docs("postgresql://nobody@127.0.0.1:9/nowhere", tmp_path)
