"""The platform's Dagster definitions with the learning API's hooks wired in (``skillstudio dagster``).

Pipelines cannot import the learning API; the composition root can, so the interventions that follow each
completion-risk scoring (notifications, in app_api) are handed to the pipelines from here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dagster import Definitions
from sqlalchemy.orm import Session

from pipelines.definitions import build_definitions
from skillstudio.db import database_url, engine_for
from skillstudio.settings import Settings, get_settings


def risk_interventions_for(settings: Settings) -> Any:
    """The hook the scoring calls: tell the newly at-risk learners and their instructors, in one commit."""

    def intervene() -> dict[str, Any]:
        from app_api.risk.interventions import notify_new_high_risk

        engine = engine_for(database_url(settings))
        try:
            with Session(engine) as session, session.begin():
                summary = notify_new_high_risk(session, now=datetime.now(UTC))
        finally:
            engine.dispose()
        return {"learners_notified": summary.learners_notified, "digests": summary.digests}

    return intervene


def build_wired_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or get_settings()
    return build_definitions(settings, risk_interventions=risk_interventions_for(settings))


def __getattr__(name: str) -> Definitions:
    # Built on first access so that importing this module never starts a database by itself.
    if name == "defs":
        return build_wired_definitions()
    raise AttributeError(name)
