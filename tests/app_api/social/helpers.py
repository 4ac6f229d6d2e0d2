"""A course of instructor X with four lessons, learners A and B enrolled, and helpers to post in it."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.integration_world import World
from tests.factories import make_user


class Social:
    def __init__(self, client: TestClient, session: Session) -> None:
        self.session = session
        self.w = World(client, lambda role: make_user(session, role=role))

    @cached_property
    def course(self) -> dict[str, Any]:
        course = self.w.course(lessons=4)
        self.w.enroll(course, "learner")
        self.w.enroll(course, "other_learner")
        return course

    @property
    def course_id(self) -> str:
        return str(self.course["course_id"])

    def complete_lessons(self, learner: str, count: int) -> None:
        enrollment = self.w.enroll(self.course, learner)  # enrolling again answers the enrollment
        for lesson in self.w.lessons(self.course)[:count]:
            path = f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson['lesson_id']}/progress"
            self.w.ok(learner, "POST", path, json={"completed": True})

    def thread(self, role: str = "learner", **fields: Any) -> dict[str, Any]:
        body = {"title": "Joins", "body": "How do outer joins work?", **fields}
        return dict(self.w.ok(role, "POST", f"/courses/{self.course_id}/threads", json=body))

    def comment(self, thread: dict[str, Any], role: str = "learner", parent: dict[str, Any] | None = None,
                body: str = "A comment") -> dict[str, Any]:  # fmt: skip
        payload = {"body": body, "parent_comment_id": parent["comment_id"] if parent else None}
        return dict(self.w.ok(role, "POST", f"/threads/{thread['thread_id']}/comments", json=payload))

    def events(self, object_type: str, object_id: str) -> list[tuple[str, str]]:
        rows = self.session.execute(
            text(
                "select verb, actor_id::text from learner_events "
                "where object_type = :type and object_id = :id order by received_at"
            ),
            {"type": object_type, "id": object_id},
        ).all()
        return [(verb, actor) for verb, actor in rows]
