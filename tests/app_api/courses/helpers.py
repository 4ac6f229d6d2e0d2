"""Catalogue set-up through the real API, and the learner events a test reads back."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.users.models import User
from tests.factories import auth_headers, make_user


class Actors:
    """One user of each kind, with their bearer headers."""

    def __init__(self, client: TestClient, session: Session) -> None:
        settings = client.app.state.settings  # type: ignore[attr-defined]
        self.learner = make_user(session, role="learner")
        self.other_learner = make_user(session, role="learner")
        self.owner = make_user(session, role="instructor")
        self.other_instructor = make_user(session, role="instructor")
        self.admin = make_user(session, role="admin")
        self.headers: dict[str, dict[str, str]] = {
            name: auth_headers(settings, getattr(self, name))
            for name in ("learner", "other_learner", "owner", "other_instructor", "admin")
        }
        self.headers["anonymous"] = {}

    def of(self, user: User) -> dict[str, str]:
        for name in ("learner", "other_learner", "owner", "other_instructor", "admin"):
            if getattr(self, name) is user:
                return self.headers[name]
        raise KeyError(user)


def create_course(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "title": f"Course {uuid.uuid4().hex[:6]}",
        "subject": "Data Science",
        "level": "beginner",
        **fields,
    }
    response = client.post("/api/v1/courses", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def add_lesson(client: TestClient, headers: dict[str, str], course_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Lesson {uuid.uuid4().hex[:6]}", "estimated_minutes": 10, **fields}
    response = client.post(f"/api/v1/courses/{course_id}/lessons", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def publish(client: TestClient, headers: dict[str, str], course_id: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/courses/{course_id}/publish", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def published_course(
    client: TestClient, headers: dict[str, str], *, lessons: int = 2, **fields: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    course = create_course(client, headers, **fields)
    created = [add_lesson(client, headers, course["course_id"]) for _ in range(lessons)]
    return publish(client, headers, course["course_id"]), created


def events(session: Session, **where: Any) -> list[dict[str, Any]]:
    """learner_events rows matching ``where`` (column = value), oldest first."""
    clause = " and ".join(f"{column} = :{column}" for column in where) or "true"
    rows = session.execute(
        text(
            "select actor_id, verb, object_type, object_id, course_id, module_id, registration, completion, "
            f"duration_s, extensions from learner_events where {clause} order by occurred_at, verb"
        ),
        {key: str(value) if isinstance(value, uuid.UUID) else value for key, value in where.items()},
    ).mappings()
    return [dict(row) for row in rows]
