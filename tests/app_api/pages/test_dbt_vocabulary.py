"""The events staging model's tests pass on a database holding learning paths' events (object type
``learning_path``, recorded by the demo's goal path): before the contract listed it, its accepted_values test
failed there, and with it ``dbt build``."""

from __future__ import annotations

from pathlib import Path

from pipelines.defs.analytics.project import dbt_resource
from tests.app_api.pages.conftest import Site


def test_dbt_accepts_the_learning_path_events_of_this_database(site: Site, tmp_path: Path) -> None:
    types = dict(site.warehouse.rows("select object_type, count(*) from learner_events group by object_type"))
    assert types.get("learning_path", 0) >= 1
    # The site's own profile: its saved parse serves this command too.
    invocation = dbt_resource(site.warehouse.url, site.warehouse.profiles).cli(
        ["test", "--select", "stg_skillstudio__learner_events"],
        raise_on_error=False,
        target_path=tmp_path / "target",
    )
    output = "\n".join(str(event) for event in invocation.stream_raw_events())
    assert invocation.process.returncode == 0, output
    assert "accepted_values_stg_skillstudio__learner_events_object_type" in output
