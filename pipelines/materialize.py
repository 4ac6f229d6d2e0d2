"""Materialize every asset in process (what ``skillstudio materialize`` and the demo run)."""

from __future__ import annotations

from dagster import DagsterInstance, ExecuteInProcessResult

from pipelines.definitions import build_definitions
from skillstudio.settings import Settings


def materialize_all(settings: Settings, instance: DagsterInstance | None = None) -> ExecuteInProcessResult:
    """Run the ``refresh_everything`` job in this process; raises when any step fails."""
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def("refresh_everything")
    # INFO keeps one line per step and dbt node as progress; DEBUG would bury it.
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    return job.execute_in_process(run_config=run_config, instance=instance or DagsterInstance.ephemeral())
