"""GET an enrollment's risk (reasons, suggested actions) and a course's at-risk learners (sorted, paged)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app_api.users.models import User
from tests.app_api.risk.scores import MISSED, NO_ACTIVITY, store_score
from tests.app_api.risk.world import complete_lesson, risk_world
from tests.factories import auth_headers, make_user

API = "/api/v1"


def headers(client: TestClient, user: User) -> dict[str, str]:
    return auth_headers(client.app.state.settings, user)  # type: ignore[attr-defined]


def test_an_enrollment_s_risk_has_its_reasons_and_next_steps(client: TestClient, session: Session) -> None:
    world = risk_world(session, learners=1)
    (learner,), (enrollment,) = world.learners, world.enrollments
    complete_lesson(session, enrollment, world.lessons[0])
    store_score(session, enrollment_id=enrollment.enrollment_id, course_id=world.course.course_id, risk=0.72)
    response = client.get(
        f"{API}/enrollments/{enrollment.enrollment_id}/risk", headers=headers(client, learner)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["band"], body["risk"], body["probability"]) == ("high", 0.72, 1 - 0.72)
    assert (body["user_id"], body["course_id"]) == (str(learner.user_id), str(world.course.course_id))
    assert [reason["text"] for reason in body["reasons"]] == [NO_ACTIVITY["text"], MISSED["text"]]
    actions = body["suggested_actions"]
    # Missed assessments: the quiz due soon first; inactivity: resume at the first lesson not completed.
    assert [action["kind"] for action in actions] == ["assessment_due", "resume_activity", "reach_out"]
    assert (
        "'Quiz 1'" in actions[0]["text"]
        and actions[0]["link"] == f"{API}/assessments/{world.quiz.assessment_id}"
    )
    assert (
        "'Joins'" in actions[1]["text"]
        and actions[1]["link"] == f"{API}/lessons/{world.lessons[1].lesson_id}"
    )
    # The course's instructor reads it too; another learner and another instructor do not.
    url = f"{API}/enrollments/{enrollment.enrollment_id}/risk"
    assert client.get(url, headers=headers(client, world.instructor)).status_code == 200
    assert client.get(url, headers=headers(client, make_user(session))).status_code == 403
    assert client.get(url, headers=headers(client, make_user(session, role="instructor"))).status_code == 403


def test_a_low_risk_has_only_the_next_lesson_and_unscored_enrollments_are_404(
    client: TestClient, session: Session
) -> None:
    world = risk_world(session, learners=2)
    low, unscored = world.enrollments
    store_score(
        session, enrollment_id=low.enrollment_id, course_id=world.course.course_id, risk=0.1,
        reasons=[{"feature": "score_trend", "value": -0.1, "contribution": -0.05, "text": "scores falling"}],
    )  # fmt: skip
    body = client.get(
        f"{API}/enrollments/{low.enrollment_id}/risk", headers=headers(client, world.learners[0])
    )
    assert body.json()["band"] == "low"
    assert [action["kind"] for action in body.json()["suggested_actions"]] == ["next_lesson"]
    response = client.get(
        f"{API}/enrollments/{unscored.enrollment_id}/risk", headers=headers(client, world.learners[1])
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "no completion-risk score" in response.json()["detail"]
    missing = client.get(
        f"{API}/enrollments/{world.quiz.assessment_id}/risk", headers=headers(client, world.instructor)
    )
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_the_at_risk_list_is_sorted_filtered_and_paged(client: TestClient, session: Session) -> None:
    world = risk_world(session, learners=5)
    risks = [0.9, 0.3, 0.65, 0.8, 0.65]
    for enrollment, risk in zip(world.enrollments, risks, strict=True):
        store_score(
            session, enrollment_id=enrollment.enrollment_id, course_id=world.course.course_id, risk=risk
        )
    url = f"{API}/courses/{world.course.course_id}/at-risk"
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params, headers=headers(client, world.instructor)).json()
        seen.extend((item["risk"], item["enrollment_id"], item["display_name"]) for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    high = sorted(
        (
            (risk, str(e.enrollment_id))
            for e, risk in zip(world.enrollments, risks, strict=True)
            if risk >= 0.6
        ),
        reverse=True,
    )
    assert [(risk, enrollment_id) for risk, enrollment_id, _ in seen] == high
    names = {
        str(e.enrollment_id): u.display_name for e, u in zip(world.enrollments, world.learners, strict=True)
    }
    assert all(name == names[enrollment_id] for _, enrollment_id, name in seen)
    everyone = client.get(url, params={"min_risk": 0}, headers=headers(client, world.instructor)).json()
    assert len(everyone["items"]) == 5 and everyone["min_risk"] == 0
    assert client.get(url, headers=headers(client, world.learners[0])).status_code == 403
    assert (
        client.get(url, params={"min_risk": 2}, headers=headers(client, world.instructor)).status_code == 422
    )
    other = client.get(url, params={"cursor": "bm90LW91cnM"}, headers=headers(client, world.instructor))
    assert other.status_code == 400
    gone = client.get(
        f"{API}/courses/{world.quiz.assessment_id}/at-risk", headers=headers(client, world.instructor)
    )
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
