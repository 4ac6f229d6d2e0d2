"""Enrolling (idempotent, published courses only, prerequisites first), dropping, and who sees which."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.courses.helpers import Actors, create_course, events, published_course


@pytest.fixture
def actors(client: TestClient, session: Session) -> Actors:
    return Actors(client, session)


def enroll(client: TestClient, headers: dict[str, str], course_id: str) -> tuple[int, dict]:
    response = client.post(f"/api/v1/courses/{course_id}/enrollments", headers=headers)
    return response.status_code, response.json()


def test_enrolling_twice_returns_the_same_enrollment_and_one_event(
    client: TestClient, session: Session, actors: Actors
) -> None:
    course, _ = published_course(client, actors.headers["owner"], title="Enroll me")
    status, first = enroll(client, actors.headers["learner"], course["course_id"])
    assert status == 201
    assert (first["user_id"], first["course_title"], first["status"]) == (
        str(actors.learner.user_id), "Enroll me", "active"
    )  # fmt: skip
    again_status, again = enroll(client, actors.headers["learner"], course["course_id"])
    assert (again_status, again["enrollment_id"]) == (200, first["enrollment_id"])
    registered = events(session, verb="registered", course_id=course["course_id"])
    assert [
        (e["actor_id"], e["object_type"], e["object_id"], str(e["registration"])) for e in registered
    ] == [(actors.learner.user_id, "course", course["course_id"], first["enrollment_id"])]


def test_only_published_courses_take_enrollments(client: TestClient, actors: Actors) -> None:
    owner = actors.headers["owner"]
    draft = create_course(client, owner)
    assert enroll(client, actors.headers["learner"], draft["course_id"])[0] == 404
    status, problem = enroll(client, owner, draft["course_id"])
    assert status == 409
    assert "draft" in problem["detail"]
    archived, _ = published_course(client, owner)
    client.post(f"/api/v1/courses/{archived['course_id']}/archive", headers=owner)
    assert enroll(client, actors.headers["admin"], archived["course_id"])[0] == 409
    assert enroll(client, {}, archived["course_id"])[0] == 401


def test_missing_prerequisites_are_named_with_id_and_title(
    client: TestClient, session: Session, actors: Actors
) -> None:
    owner = actors.headers["owner"]
    basics, _ = published_course(client, owner, title="Basics")
    tools, _ = published_course(client, owner, title="Tools")
    advanced, _ = published_course(
        client, owner, title="Advanced", prerequisites=[tools["course_id"], basics["course_id"]]
    )
    status, problem = enroll(client, actors.headers["learner"], advanced["course_id"])
    assert status == 409
    assert problem["missing_prerequisites"] == [
        {"course_id": basics["course_id"], "title": "Basics"},
        {"course_id": tools["course_id"], "title": "Tools"},
    ]
    assert f"Basics ({basics['course_id']}); Tools ({tools['course_id']})" in problem["detail"]
    assert events(session, verb="registered", course_id=advanced["course_id"]) == []

    # A completed enrollment in one prerequisite (in any run) leaves only the other missing.
    session.execute(
        text(
            "insert into enrollments (enrollment_id, user_id, course_id, status, enrolled_at, completed_at) "
            "values (:id, :user, :course, 'completed', :at, :at)"
        ),
        {
            "id": uuid.uuid4(),
            "user": actors.learner.user_id,
            "course": basics["course_id"],
            "at": datetime.now(UTC),
        },
    )
    status, problem = enroll(client, actors.headers["learner"], advanced["course_id"])
    assert [item["title"] for item in problem["missing_prerequisites"]] == ["Tools"]
    # An active (not completed) enrollment does not count.
    enroll(client, actors.headers["learner"], tools["course_id"])
    assert enroll(client, actors.headers["learner"], advanced["course_id"])[0] == 409


def test_drop_and_enroll_again(client: TestClient, session: Session, actors: Actors) -> None:
    course, _ = published_course(client, actors.headers["owner"])
    _, enrollment = enroll(client, actors.headers["learner"], course["course_id"])
    url = f"/api/v1/enrollments/{enrollment['enrollment_id']}/drop"
    assert client.post(url, headers=actors.headers["other_learner"]).status_code == 403
    dropped = client.post(url, headers=actors.headers["learner"]).json()
    assert dropped["status"] == "dropped"
    assert dropped["unregistered_at"] is not None
    assert client.post(url, headers=actors.headers["learner"]).json()["status"] == "dropped"
    status, again = enroll(client, actors.headers["learner"], course["course_id"])
    assert (status, again["enrollment_id"], again["status"], again["unregistered_at"]) == (
        200, enrollment["enrollment_id"], "active", None
    )  # fmt: skip
    verbs = [
        event["verb"]
        for event in events(session, course_id=course["course_id"], actor_id=actors.learner.user_id)
    ]
    assert verbs == ["registered", "unregistered", "registered"]
    assert all(
        str(event["registration"]) == enrollment["enrollment_id"]
        for event in events(session, course_id=course["course_id"], actor_id=actors.learner.user_id)
    )


def test_learners_see_only_their_own_enrollments(client: TestClient, actors: Actors) -> None:
    owner = actors.headers["owner"]
    first, _ = published_course(client, owner, title="First")
    second, _ = published_course(client, owner, title="Second")
    _, mine = enroll(client, actors.headers["learner"], first["course_id"])
    enroll(client, actors.headers["learner"], second["course_id"])
    enroll(client, actors.headers["other_learner"], second["course_id"])

    own = client.get("/api/v1/enrollments", headers=actors.headers["learner"]).json()
    assert [item["course_title"] for item in own["items"]] == ["Second", "First"]
    page = client.get("/api/v1/enrollments", params={"limit": 1}, headers=actors.headers["learner"]).json()
    rest = client.get(
        "/api/v1/enrollments", params={"cursor": page["next_cursor"]}, headers=actors.headers["learner"]
    ).json()
    assert [item["course_title"] for item in page["items"] + rest["items"]] == ["Second", "First"]
    url = f"/api/v1/enrollments/{mine['enrollment_id']}"
    assert client.get(url, headers=actors.headers["other_learner"]).status_code == 403
    assert client.get(url, headers=actors.headers["owner"]).status_code == 403
    assert client.get(url, headers=actors.headers["admin"]).json()["enrollment_id"] == mine["enrollment_id"]
    learner_id = str(actors.learner.user_id)
    assert (
        client.get(
            "/api/v1/enrollments", params={"user_id": learner_id}, headers=actors.headers["other_learner"]
        ).status_code
        == 403
    )
    by_admin = client.get(
        "/api/v1/enrollments",
        params={"user_id": learner_id, "status": "active"},
        headers=actors.headers["admin"],
    )
    assert len(by_admin.json()["items"]) == 2
    assert (
        client.get(f"/api/v1/enrollments/{uuid.uuid4()}", headers=actors.headers["learner"]).status_code
        == 404
    )


def test_a_completed_enrollment_cannot_be_dropped(
    client: TestClient, session: Session, actors: Actors
) -> None:
    course, _ = published_course(client, actors.headers["owner"])
    _, enrollment = enroll(client, actors.headers["learner"], course["course_id"])
    session.execute(
        text("update enrollments set status = 'completed', completed_at = now() where enrollment_id = :id"),
        {"id": enrollment["enrollment_id"]},
    )
    response = client.post(
        f"/api/v1/enrollments/{enrollment['enrollment_id']}/drop", headers=actors.headers["learner"]
    )
    assert response.status_code == 409
    assert events(session, verb="unregistered", course_id=course["course_id"]) == []
