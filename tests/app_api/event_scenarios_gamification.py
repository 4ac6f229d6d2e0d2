"""Scenarios of the gamification routes that change something: admins adding an achievement."""

from __future__ import annotations

from tests.app_api.event_scenarios import Call, Scenario, scenario
from tests.app_api.integration_world import World


@scenario("POST", "/gamification/achievements")
def _create_achievement(w: World) -> Scenario:
    body = {
        "slug": "scenario-badge", "name": "Scenario badge", "description": "Pass 3 quizzes.",
        "rarity": "epic", "requirement_type": "quizzes_passed", "threshold": 3,
    }  # fmt: skip
    return Scenario(
        success=Call("admin", "POST", "/gamification/achievements", json=body),
        events=lambda r: [("created", "badge", r["achievement_id"], w.id("admin"))],
        tables=frozenset({"achievements"}),
        failure=Call("learner", "POST", "/gamification/achievements", json=body),
        failure_status=403,
    )
