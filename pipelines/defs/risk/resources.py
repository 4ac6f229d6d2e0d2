"""The interventions hook when nothing wires the learning API's (``dagster dev -m pipelines.definitions``)."""

from __future__ import annotations

from typing import Any


def interventions_not_wired() -> dict[str, Any]:
    """Says so in the run's metadata: ``skillstudio dagster`` and ``skillstudio materialize`` wire the real
    one from the composition root (``skillstudio.main.definitions``)."""
    return {"learners_notified": 0, "digests": 0, "skipped": "no interventions hook wired (pipelines only)"}
