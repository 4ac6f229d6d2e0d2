"""Scenarios of the notification routes (learner A's inbox and preferences).

Notifications are written by producers, not by a route, so a scenario commits one for A through the service
on the test's database before the call.
"""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app_api.notifications import service as notifications
from tests.app_api.event_scenarios import Call, Scenario, scenario
from tests.app_api.integration_world import World


def _notify(w: World, learner: str = "learner") -> str:
    engine = create_engine(str(w.settings.database_url))
    try:
        with Session(engine) as session:
            notification_id = notifications.notify(
                session, user_id=uuid.UUID(w.id(learner)), kind="level_up", title="Level up", body="SQL: 5"
            )
            session.commit()
    finally:
        engine.dispose()
    return str(notification_id)


@scenario("POST", "/me/notifications/{notification_id}/read")
def _read_one(w: World) -> Scenario:
    notification_id = _notify(w)
    path = f"/me/notifications/{notification_id}/read"
    return Scenario(
        success=Call("learner", "POST", path),
        events=lambda r: [("updated", "notification", notification_id, w.id("learner"))],
        tables=frozenset({"notifications"}),
        failure=Call("other_learner", "POST", path),  # not B's: 404, nothing read
        failure_status=404,
    )


@scenario("POST", "/me/notifications/read-all")
def _read_all(w: World) -> Scenario:
    _notify(w, "other_learner")
    return Scenario(
        success=Call("other_learner", "POST", "/me/notifications/read-all"),
        events=lambda r: [("updated", "notifications", w.id("other_learner"), w.id("other_learner"))],
        tables=frozenset({"notifications"}),
        failure=Call("anonymous", "POST", "/me/notifications/read-all"),
        failure_status=401,
    )


@scenario("PUT", "/me/notification-preferences")
def _preferences(w: World) -> Scenario:
    body = {"preferences": [{"kind": "badge_unlocked", "in_app": True, "email": True}]}
    return Scenario(
        success=Call("learner", "PUT", "/me/notification-preferences", json=body),
        events=lambda r: [("updated", "notification_preferences", w.id("learner"), w.id("learner"))],
        tables=frozenset({"notification_preferences"}),
        failure=Call("learner", "PUT", "/me/notification-preferences", json={"preferences": [{"kind": "x"}]}),
        failure_status=422,
    )
