"""The platform's Dagster definitions with the learning API's hooks wired in (``skillstudio dagster``).

Pipelines cannot import the learning API; the composition root can. Two of its jobs are handed to the
pipelines from here, each as a callable with its own session and transaction: the weekly learning-path
adjustment, and the interventions that follow each completion-risk scoring (notifications).
``skillstudio dagster`` loads ``skillstudio.main.definitions:defs``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from functools import partial
from typing import Any

from dagster import Definitions

from pipelines.definitions import build_definitions
from skillstudio.db import session_scope
from skillstudio.settings import Settings, get_settings


def adjust_learning_paths(settings: Settings) -> dict[str, int]:
    """Adjust every active learning path in one transaction; counts of what the review found."""
    from app_api.paths import adjustment

    with session_scope(settings) as session:
        results = adjustment.adjust_all(session)
    counts = Counter(result.review["progress"] for result in results)
    counts.update(result.review["trend"] for result in results)
    return {
        "paths_reviewed": len(results),
        "paths_adjusted": sum(1 for result in results if result.version is not None),
        **{name: counts[name] for name in ("ahead", "on_track", "behind", "declining")},
    }


def risk_interventions_for(settings: Settings) -> Any:
    """The hook the scoring calls: tell the newly at-risk learners and their instructors, in one commit."""

    def intervene() -> dict[str, Any]:
        from app_api.risk.interventions import notify_new_high_risk

        with session_scope(settings) as session:
            summary = notify_new_high_risk(session, now=datetime.now(UTC))
        return {"learners_notified": summary.learners_notified, "digests": summary.digests}

    return intervene


def build_wired_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or get_settings()
    return build_definitions(
        settings,
        learning_path_adjuster=partial(adjust_learning_paths, settings),
        risk_interventions=risk_interventions_for(settings),
    )


def __getattr__(name: str) -> Definitions:
    # Built on first access so that importing this module never starts a database by itself.
    if name == "defs":
        return build_wired_definitions()
    raise AttributeError(name)
