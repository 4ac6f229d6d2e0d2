"""Set-up for assessment tests: a course with an owner, skills, enrollments, questions through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.courses.models import Course, Skill
from app_api.enrollments.models import Enrollment
from app_api.users.models import User
from tests.factories import auth_headers, make_user

API = "/api/v1"


class World:
    """A published course owned by an instructor, two skills, enrolled learners, and everyone's headers."""

    def __init__(self, client: TestClient, session: Session) -> None:
        self.client, self.session = client, session
        self.settings = client.app.state.settings  # type: ignore[attr-defined]
        self.owner = make_user(session, role="instructor")
        self.other_instructor = make_user(session, role="instructor")
        self.learner = make_user(session, role="learner")
        self.other_learner = make_user(session, role="learner")
        self.admin = make_user(session, role="admin")
        self.course = make_course(session, instructor=self.owner)
        self.sql = make_skill(session, "sql")
        self.stats = make_skill(session, "stats")
        self.enrollment = enroll(session, self.learner, self.course)
        enroll(session, self.other_learner, self.course)

    def headers(self, user: User) -> dict[str, str]:
        return auth_headers(self.settings, user)

    def question(
        self, body: dict[str, Any] | None = None, by: User | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = (body or single_choice(self.sql.skill_id)) | fields
        response = self.client.post(
            f"{API}/courses/{self.course.course_id}/questions",
            json=body,
            headers=self.headers(by or self.owner),
        )
        assert response.status_code == 201, response.text
        return response.json()

    def assessment(self, question_ids: list[str], **fields: Any) -> dict[str, Any]:
        body = {"title": "Check-up", "status": "published", "question_ids": question_ids} | fields
        response = self.client.post(
            f"{API}/courses/{self.course.course_id}/assessments", json=body, headers=self.headers(self.owner)
        )
        assert response.status_code == 201, response.text
        return response.json()

    def start(self, assessment: dict[str, Any], user: User | None = None) -> dict[str, Any]:
        response = self.client.post(
            f"{API}/assessments/{assessment['assessment_id']}/attempts",
            headers=self.headers(user or self.learner),
        )
        assert response.status_code == 201, response.text
        return response.json()

    def answer(
        self, attempt: dict[str, Any], question_id: str, response: Any, user: User | None = None
    ) -> Any:
        return self.client.put(
            f"{API}/attempts/{attempt['attempt_id']}/answers/{question_id}",
            json={"response": response},
            headers=self.headers(user or self.learner),
        )

    def submit(
        self, attempt: dict[str, Any], answers: list[dict[str, Any]] | None = None, user: User | None = None
    ) -> Any:
        return self.client.post(
            f"{API}/attempts/{attempt['attempt_id']}/submit",
            json={"answers": answers or []},
            headers=self.headers(user or self.learner),
        )


def make_course(session: Session, *, instructor: User | None, status: str = "published") -> Course:
    course = Course(
        course_id=uuid.uuid4(),
        title=f"Course {uuid.uuid4().hex[:6]}",
        subject="Data",
        level="beginner",
        status=status,
        instructor_id=instructor.user_id if instructor else None,
    )
    session.add(course)
    session.flush()
    return course


def make_skill(session: Session, name: str) -> Skill:
    skill = Skill(skill_id=uuid.uuid4(), slug=f"{name}-{uuid.uuid4().hex[:6]}", name=name.upper())
    session.add(skill)
    session.flush()
    return skill


def enroll(session: Session, user: User, course: Course) -> Enrollment:
    enrollment = Enrollment(
        enrollment_id=uuid.uuid4(),
        user_id=user.user_id,
        course_id=course.course_id,
        status="active",
        enrolled_at=datetime.now(UTC),
    )
    session.add(enrollment)
    session.flush()
    return enrollment


def single_choice(skill_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return {
        "question_type": "single_choice",
        "skill_id": str(skill_id),
        "prompt": "Which clause filters groups?",
        "options": [
            {"id": "a", "text": "WHERE"},
            {"id": "b", "text": "HAVING", "correct": True},
            {"id": "c", "text": "ORDER BY"},
        ],
    } | fields


def multiple_choice(skill_id: uuid.UUID) -> dict[str, Any]:
    return {
        "question_type": "multiple_choice",
        "skill_id": str(skill_id),
        "prompt": "Which are aggregate functions?",
        "options": [
            {"id": "sum", "text": "SUM", "correct": True},
            {"id": "avg", "text": "AVG", "correct": True},
            {"id": "upper", "text": "UPPER"},
        ],
    }


def numeric(skill_id: uuid.UUID) -> dict[str, Any]:
    return {
        "question_type": "numeric",
        "skill_id": str(skill_id),
        "prompt": "Mean of 2, 3 and 4.2?",
        "numeric_answer": 3.0666,
        "tolerance": 0.01,
    }


def short_text(skill_id: uuid.UUID) -> dict[str, Any]:
    return {
        "question_type": "short_text",
        "skill_id": str(skill_id),
        "prompt": "Name the measure of spread that is the square root of the variance.",
        "accepted_answers": ["Standard deviation", "std dev"],
    }


def events(session: Session, **where: Any) -> list[dict[str, Any]]:
    """learner_events rows matching ``where`` (column = value), in the order they were written."""
    clause = " and ".join(f"{column} = :{column}" for column in where) or "true"
    rows = session.execute(
        text(
            "select actor_id, verb, object_type, object_id, course_id, registration, attempt, score_scaled, "
            f"success, completion, response, extensions from learner_events where {clause} "
            "order by occurred_at, received_at, verb"
        ),
        {key: str(value) if isinstance(value, uuid.UUID) else value for key, value in where.items()},
    )
    return [dict(row._mapping) for row in rows]
