"""The dbt project for tools outside Dagster (benchmarks, the docs command): its CLI on a database."""

from __future__ import annotations

from pipelines.defs.analytics.docs import DocsError, generate_docs
from pipelines.defs.analytics.project import DBT_PROJECT_DIR, build_arguments, dbt_resource

__all__ = ["DBT_PROJECT_DIR", "DocsError", "build_arguments", "dbt_resource", "generate_docs"]
