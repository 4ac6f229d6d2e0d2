"""The rows the access matrix acts on, owned by learner A and instructor X, and how requests name them.

``Resources`` creates each row on first use through the API (``World``), so a rule only pays for what it
touches; ``req`` builds a request whose path names those rows (``{course}``, ``{enrollment}``...).
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.auth import passwords
from tests.app_api.integration_world import PASSWORD, World

Request = tuple[str, str, dict[str, Any]]  # method, path under /api/v1 (or absolute), request kwargs


class Resources:
    """A's and X's rows, created on first use: a published course with a module and lessons, A's and B's
    enrollments, a quiz with A's graded attempt, A's goal and progress."""

    def __init__(self, world: World, session: Session) -> None:
        self.w, self.session = world, session

    @cached_property
    def skill(self) -> dict[str, Any]:
        return self.w.skill()

    @cached_property
    def draft(self) -> dict[str, Any]:
        """X's draft course: visible to X and admins only."""
        return self.w.course(published=False, lessons=1)

    @cached_property
    def published(self) -> dict[str, Any]:
        """X's published course with one module holding two lessons."""
        course = self.w.course(published=False, lessons=0, skills=[self.skill["slug"]])
        module = self.w.module(course)
        for _ in range(2):
            self.w.lesson(course, module_id=module["module_id"])
        self.w.ok("instructor", "POST", f"/courses/{course['course_id']}/publish")
        return dict(self.w.ok("instructor", "GET", f"/courses/{course['course_id']}"))

    @cached_property
    def module(self) -> dict[str, Any]:
        return dict(
            self.w.ok("anonymous", "GET", f"/courses/{self.published['course_id']}/modules")["items"][0]
        )

    @cached_property
    def lesson(self) -> dict[str, Any]:
        return self.w.lessons(self.published)[0]

    @cached_property
    def enrollment(self) -> dict[str, Any]:
        enrollment = self.w.enroll(self.published)
        self.w.enroll(self.published, "other_learner")
        path = f"/enrollments/{enrollment['enrollment_id']}/lessons/{self.lesson['lesson_id']}/progress"
        self.w.ok("learner", "POST", path, json={"percent": 50, "time_spent_s": 120})
        return enrollment

    @cached_property
    def question(self) -> dict[str, Any]:
        return self.w.question(self.published, self.skill)

    @cached_property
    def quiz(self) -> dict[str, Any]:
        return self.w.assessment(self.published, [self.question])

    @cached_property
    def attempt(self) -> dict[str, Any]:
        """A's graded attempt at the quiz."""
        _ = self.enrollment
        attempt = self.w.attempt(self.quiz)
        body = {"answers": [{"question_id": self.question["question_id"], "response": "b"}]}
        return dict(self.w.ok("learner", "POST", f"/attempts/{attempt['attempt_id']}/submit", json=body))

    @cached_property
    def open_attempt(self) -> dict[str, Any]:
        """A's attempt in progress (at a second quiz, so that it never meets the graded one)."""
        _ = self.enrollment
        return self.w.attempt(self.w.assessment(self.published, [self.question]))

    @cached_property
    def goal(self) -> dict[str, Any]:
        return self.w.goal(self.skill)

    @cached_property
    def certificate(self) -> dict[str, Any]:
        """A's certificate of a course A completed."""
        from tests.app_api.certificates.helpers import complete_course

        return complete_course(self.w)

    @cached_property
    def event_id(self) -> str:
        _ = self.enrollment
        return str(
            self.session.scalar(
                text("select event_id from learner_events where actor_id = :a limit 1"),
                {"a": self.w.id("learner")},
            )
        )

    @cached_property
    def quarantined(self) -> int:
        return self.quarantine()

    def quarantine(self) -> int:
        """A statement of A's with an unknown verb: the intake keeps it in the quarantine."""
        bad = statement(self.w.id("learner"), verb="teleported")
        body = self.w.ok("admin", "POST", "/events", json=[bad])
        return int(body["rejections"][0]["quarantine_id"])

    def password(self, role: str) -> None:
        """Give a factory user the test password, so that the password route can check it."""
        user = self.w.users[role]
        user.password_hash = passwords.hash_password(self.w.settings, PASSWORD)
        self.session.flush()


def req(method: str, path: str, **kwargs: Any) -> Callable[[Resources, str], Request]:
    """A request whose path may name resources: ``{course}`` -> ``r.published["course_id"]`` etc."""

    def build(r: Resources, role: str) -> Request:
        names = {name for _, name, _, _ in string.Formatter().parse(path) if name}
        values = {
            "course": lambda: r.published["course_id"],
            "draft": lambda: r.draft["course_id"],
            "module": lambda: r.module["module_id"],
            "lesson": lambda: r.lesson["lesson_id"],
            "enrollment": lambda: r.enrollment["enrollment_id"],
            "question": lambda: r.question["question_id"],
            "quiz": lambda: r.quiz["assessment_id"],
            "attempt": lambda: r.attempt["attempt_id"],
            "open_attempt": lambda: r.open_attempt["attempt_id"],
            "goal": lambda: r.goal["goal_id"],
            "certificate": lambda: r.certificate["certificate_id"],
            "code": lambda: r.certificate["verification_code"],
            "skill": lambda: r.skill["skill_id"],
            "event": lambda: r.event_id,
            "quarantined": lambda: r.quarantined,
            "learner": lambda: r.w.id("learner"),
            "other_learner": lambda: r.w.id("other_learner"),
            "instructor": lambda: r.w.id("instructor"),
        }
        return method, path.format(**{name: values[name]() for name in names}), dict(kwargs)

    return build


def statement(actor_id: str, **fields: Any) -> dict[str, Any]:
    """An xAPI statement in the compact form the intake accepts."""
    return {
        "actor": {"id": actor_id},
        "verb": "experienced",
        "object": {"id": str(uuid.uuid4()), "type": "lesson"},
        "timestamp": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        **fields,
    }


def if_match(tag: str) -> dict[str, str]:
    return {"If-Match": tag}


def future(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def with_rows(build: Callable[[Resources, str], Request], *needs: str) -> Callable[[Resources, str], Request]:
    """``build`` after creating the named resources, so that a list has something to hide or show."""

    def wrapped(r: Resources, role: str) -> Request:
        for name in needs:
            getattr(r, name)
        return build(r, role)

    return wrapped
