"""A small world for the cross-cutting API tests: six callers and the rows they own, built through the API.

Learner A ("learner") and instructor X ("instructor") own what the tests act on; learner B and instructor
Y are the strangers who must be refused; "admin" may do everything admin routes allow. Rows are created
the way users create them (HTTP through the real app), so the tests exercise the same paths as production;
only the users themselves come from the factory, since registration makes learners only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from app_api.users.models import User
from tests.factories import auth_headers

API = "/api/v1"
PASSWORD = "correct horse battery staple"
ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin")
USER_ROLES = {
    "learner": "learner",
    "other_learner": "learner",
    "instructor": "instructor",
    "other_instructor": "instructor",
    "admin": "admin",
}


def etag_of(body: dict[str, Any], id_field: str) -> str:
    """The ETag of a catalogue or assessment item, from its body (id and version)."""
    return f'"{body[id_field]}.{body["version"]}"'


class World:
    """The six callers of ``ROLES`` and helpers that create rows through the API, asserting success."""

    def __init__(self, client: TestClient, make_user: Callable[[str], User]) -> None:
        self.client = client
        self.settings = client.app.state.settings  # type: ignore[attr-defined]
        self.users: dict[str, User] = {name: make_user(role) for name, role in USER_ROLES.items()}

    def id(self, name: str) -> str:
        return str(self.users[name].user_id)

    def headers(self, name: str) -> dict[str, str]:
        return {} if name == "anonymous" else auth_headers(self.settings, self.users[name])

    def call(self, name: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers(name), **kwargs.pop("headers", {})}
        return self.client.request(method, f"{API}{path}", headers=headers, **kwargs)

    def ok(self, name: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(name, method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path} as {name}: {response.text}"
        return response.json() if response.content else None

    # ---- accounts

    def account(self) -> dict[str, Any]:
        """A registered learner with a password, logged in: its user id, email and token pair."""
        email = f"ann.{uuid.uuid4().hex[:10]}@example.org"
        user = self.ok(
            "anonymous",
            "POST",
            "/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Ann"},
        )
        tokens = self.ok("anonymous", "POST", "/auth/login", json={"email": email, "password": PASSWORD})
        return {"user_id": user["user_id"], "email": email, **tokens}

    # ---- catalogue (owned by instructor X unless told otherwise)

    def skill(self) -> dict[str, Any]:
        slug = f"skill-{uuid.uuid4().hex[:10]}"
        return dict(self.ok("admin", "POST", "/skills", json={"slug": slug, "name": slug.upper()}))

    def course(
        self, *, published: bool = True, lessons: int = 1, owner: str = "instructor", **fields: Any
    ) -> dict[str, Any]:
        body = {"title": f"Course {uuid.uuid4().hex[:6]}", "subject": "Data", "level": "beginner", **fields}
        course = self.ok(owner, "POST", "/courses", json=body)
        for _ in range(lessons):
            self.lesson(course, owner=owner)
        if published:
            course = self.ok(owner, "POST", f"/courses/{course['course_id']}/publish")
        return dict(self.ok(owner, "GET", f"/courses/{course['course_id']}"))

    def module(self, course: dict[str, Any], owner: str = "instructor") -> dict[str, Any]:
        return dict(
            self.ok(owner, "POST", f"/courses/{course['course_id']}/modules", json={"title": "Module"})
        )

    def lesson(self, course: dict[str, Any], owner: str = "instructor", **fields: Any) -> dict[str, Any]:
        body = {"title": f"Lesson {uuid.uuid4().hex[:6]}", "estimated_minutes": 10, **fields}
        return dict(self.ok(owner, "POST", f"/courses/{course['course_id']}/lessons", json=body))

    def lessons(self, course: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.ok("instructor", "GET", f"/courses/{course['course_id']}/lessons")["items"])

    # ---- learning

    def enroll(self, course: dict[str, Any], learner: str = "learner") -> dict[str, Any]:
        return dict(self.ok(learner, "POST", f"/courses/{course['course_id']}/enrollments"))

    def question(self, course: dict[str, Any], skill: dict[str, Any]) -> dict[str, Any]:
        body = {
            "question_type": "single_choice",
            "skill_id": skill["skill_id"],
            "prompt": "Which clause filters groups?",
            "options": [{"id": "a", "text": "WHERE"}, {"id": "b", "text": "HAVING", "correct": True}],
        }
        return dict(self.ok("instructor", "POST", f"/courses/{course['course_id']}/questions", json=body))

    def assessment(
        self, course: dict[str, Any], questions: list[dict[str, Any]], **fields: Any
    ) -> dict[str, Any]:
        body = {
            "title": "Check-up",
            "status": "published",
            "question_ids": [question["question_id"] for question in questions],
            **fields,
        }
        return dict(self.ok("instructor", "POST", f"/courses/{course['course_id']}/assessments", json=body))

    def attempt(self, assessment: dict[str, Any], learner: str = "learner") -> dict[str, Any]:
        return dict(self.ok(learner, "POST", f"/assessments/{assessment['assessment_id']}/attempts"))

    def goal(self, skill: dict[str, Any], learner: str = "learner") -> dict[str, Any]:
        body = {
            "deadline": (datetime.now(UTC).date() + timedelta(days=60)).isoformat(),
            "hours_per_week": 5,
            "skills": [{"skill_id": skill["skill_id"], "target_level": 7}],
        }
        return dict(self.ok(learner, "POST", "/goals", json=body))
