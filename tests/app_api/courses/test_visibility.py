"""Who sees which course: anonymous, learner, owning instructor, other instructor, admin × course state."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app_api.courses.helpers import Actors, add_lesson, create_course

VIEWERS = ("anonymous", "learner", "owner", "other_instructor", "admin")
# state -> the viewers who see a course in that state
SEES = {
    "draft": {"owner", "admin"},
    "published": set(VIEWERS),
    "archived": {"owner", "admin"},
}


@pytest.fixture
def catalogue(client: TestClient, session: Session) -> tuple[Actors, dict[str, dict[str, Any]]]:
    actors = Actors(client, session)
    owner = actors.headers["owner"]
    courses = {}
    for state in SEES:
        course = create_course(client, owner, title=f"Visibility {state}", subject="Visibility")
        client.post(f"/api/v1/courses/{course['course_id']}/modules", json={"title": "M"}, headers=owner)
        add_lesson(client, owner, course["course_id"], title=f"{state} lesson")
        if state != "draft":
            client.post(f"/api/v1/courses/{course['course_id']}/publish", headers=owner)
        if state == "archived":
            client.post(f"/api/v1/courses/{course['course_id']}/archive", headers=owner)
        courses[state] = course
    return actors, courses


@pytest.mark.parametrize("viewer", VIEWERS)
def test_course_reads_follow_the_matrix(
    client: TestClient, catalogue: tuple[Actors, dict[str, dict[str, Any]]], viewer: str
) -> None:
    actors, courses = catalogue
    headers = actors.headers[viewer]
    for state, course in courses.items():
        expected = 200 if viewer in SEES[state] else 404
        base = f"/api/v1/courses/{course['course_id']}"
        got = {
            path: client.get(base + path, headers=headers).status_code
            for path in ("", "/lessons", "/modules")
        }
        assert got == {"": expected, "/lessons": expected, "/modules": expected}, (viewer, state)
        lesson_id = client.get(f"{base}/lessons", headers=actors.headers["admin"]).json()["items"][0][
            "lesson_id"
        ]
        assert client.get(f"/api/v1/lessons/{lesson_id}", headers=headers).status_code == expected
        if expected == 200:
            assert client.get(base, headers=headers).json()["status"] == state

    listed = client.get("/api/v1/courses", params={"subject": "visibility"}, headers=headers).json()["items"]
    assert sorted(item["title"] for item in listed) == sorted(
        f"Visibility {state}" for state in SEES if viewer in SEES[state]
    )


def test_a_hidden_course_answers_404_without_naming_its_state(
    client: TestClient, catalogue: tuple[Actors, dict[str, dict[str, Any]]]
) -> None:
    actors, courses = catalogue
    response = client.get(
        f"/api/v1/courses/{courses['draft']['course_id']}", headers=actors.headers["learner"]
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "draft" not in response.json()["detail"]


def test_a_bad_token_is_401_not_anonymous(client: TestClient) -> None:
    response = client.get("/api/v1/courses", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
