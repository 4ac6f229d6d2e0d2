"""Scenarios of the certificate routes. Issuing is no route of its own: the progress scenario that completes
a course (``event_scenarios_learning``) expects the certificate's ``earned`` event and rows."""

from __future__ import annotations

from tests.app_api.certificates.helpers import complete_course
from tests.app_api.event_scenarios import Call, Scenario, scenario
from tests.app_api.integration_world import World


@scenario("POST", "/certificates/{certificate_id}/revoke")
def _revoke(w: World) -> Scenario:
    certificate = complete_course(w)
    path = f"/certificates/{certificate['certificate_id']}/revoke"
    return Scenario(
        success=Call("admin", "POST", path, json={"reason": "Issued in error"}),
        events=lambda r: [("updated", "certificate", certificate["certificate_id"], w.id("admin"))],
        tables=frozenset({"certificates"}),
        failure=Call("learner", "POST", path, json={"reason": "I would rather not have it"}),
        failure_status=403,
    )
