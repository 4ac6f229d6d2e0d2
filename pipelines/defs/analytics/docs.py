"""The dbt documentation site: every model's description, columns, tests and lineage, with the warehouse's
catalogue (types, row counts) read from the database the marts live in."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.defs.analytics.project import dbt_resource


class DocsError(RuntimeError):
    """``dbt docs generate`` failed; the message holds dbt's own output."""


def generate_docs(url: str, workdir: Path) -> Path:
    """Run ``dbt docs generate`` against the database at ``url``; return the folder to serve.

    The folder holds ``index.html`` (the site), ``manifest.json`` and ``catalog.json``; any static file
    server shows it, e.g. ``python -m http.server --directory <folder>``.
    """
    target = workdir / "docs"
    invocation = dbt_resource(url, workdir / "profiles").cli(
        ["docs", "generate"], raise_on_error=False, target_path=target
    )
    output = "\n".join(str(event) for event in invocation.stream_raw_events())
    if invocation.process.returncode != 0 or not (target / "index.html").exists():
        raise DocsError(f"dbt docs generate failed:\n{output}")
    catalog = json.loads((target / "catalog.json").read_text())
    if catalog.get("errors"):
        raise DocsError(f"dbt docs generate could not read the warehouse: {catalog['errors']}")
    return target
