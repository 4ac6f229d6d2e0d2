"""The Dagster definitions as run: ``pipelines.definitions`` with what only the composition root can give.

The weekly learning-path adjustment lives in the learning API, which pipelines may not import; here it is
wrapped in a callable (its own session and transaction) and handed to the pipelines as a resource.
``skillstudio dagster`` loads ``skillstudio.main.definitions:defs``.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

from dagster import Definitions

from app_api.paths import adjustment
from pipelines import definitions as pipelines
from skillstudio.db import session_scope
from skillstudio.settings import Settings, get_settings


def adjust_learning_paths(settings: Settings) -> dict[str, int]:
    """Adjust every active learning path in one transaction; counts of what the review found."""
    with session_scope(settings) as session:
        results = adjustment.adjust_all(session)
    counts = Counter(result.review["progress"] for result in results)
    counts.update(result.review["trend"] for result in results)
    return {
        "paths_reviewed": len(results),
        "paths_adjusted": sum(1 for result in results if result.version is not None),
        **{name: counts[name] for name in ("ahead", "on_track", "behind", "declining")},
    }


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or get_settings()
    return pipelines.build_definitions(
        settings, learning_path_adjuster=partial(adjust_learning_paths, settings)
    )


def __getattr__(name: str) -> Definitions:
    # Built on first access so that importing this module never starts a database by itself.
    if name == "defs":
        return build_definitions()
    raise AttributeError(name)
