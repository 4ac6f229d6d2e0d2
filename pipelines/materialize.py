"""Materialize every asset in process (what ``skillstudio materialize`` and the demo run)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from dagster import DagsterInstance, ExecuteInProcessResult

from pipelines.definitions import build_definitions
from pipelines.defs.risk.assets import RiskInterventions
from skillstudio.settings import Settings


def materialize_all(
    settings: Settings,
    instance: DagsterInstance | None = None,
    ops: Mapping[str, object] | None = None,
    *,
    risk_interventions: RiskInterventions | None = None,
) -> ExecuteInProcessResult:
    """Run the ``refresh_everything`` job in this process; raises when any step fails.

    The run is today's partition with dbt choosing what to build (``DbtRefreshConfig.dbt_decides``): the
    whole history the first time, and from each incremental model's last day afterwards. ``ops`` adds
    run config per op (tests shrink the models' training with it; the defaults are the served sizes).
    """
    definitions = build_definitions(settings, risk_interventions=risk_interventions)
    job = definitions.resolve_job_def("refresh_everything")
    run_config = {
        # INFO keeps one line per step and dbt node as progress; DEBUG would bury it.
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
        "ops": {"analytics_dbt_assets": {"config": {"dbt_decides": True}}, **(ops or {})},
    }
    return job.execute_in_process(
        run_config=run_config,
        instance=instance or DagsterInstance.ephemeral(),
        partition_key=f"{datetime.now(UTC):%Y-%m-%d}",
    )
