"""Rows for the learning-path tests: a learner, skills, and courses with modules and lessons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app_api.courses.models import Course, CoursePrerequisite, CourseSkill, Lesson, Module, Skill
from app_api.users.models import LearnerSkillLevel, User
from tests.factories import auth_headers, make_user


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


class PathWorld:
    def __init__(self, client: TestClient, session: Session) -> None:
        self.client, self.session = client, session
        self.settings = client.app.state.settings  # type: ignore[attr-defined]
        self.learner, self.other, self.admin = (
            make_user(session, role=r) for r in ("learner", "learner", "admin")
        )
        self.sql, self.python = self.skill("SQL"), self.skill("Python")

    def h(self, user: User) -> dict[str, str]:
        return auth_headers(self.settings, user)

    def skill(self, name: str) -> Skill:
        row = Skill(skill_id=uuid.uuid4(), slug=f"{name.lower()}-{uuid.uuid4().hex[:8]}", name=name)
        self.session.add(row)
        self.session.flush()
        return row

    def course(
        self, title: str, level: str, skills: list[Skill], *, modules: int = 2, lessons_per_module: int = 2,
        minutes: int = 60, requires: tuple[Course, ...] = (),
    ) -> Course:  # fmt: skip
        course = Course(
            course_id=uuid.uuid4(), title=f"{title}", subject="data", level=level, status="published"
        )
        self.session.add(course)
        self.session.flush()
        self.session.add_all(CourseSkill(course_id=course.course_id, skill_id=s.skill_id) for s in skills)
        self.session.add_all(
            CoursePrerequisite(course_id=course.course_id, prerequisite_course_id=r.course_id)
            for r in requires
        )
        position = 0
        for m in range(modules):
            module = Module(
                module_id=uuid.uuid4(), course_id=course.course_id, position=m + 1, title=f"M{m + 1}"
            )
            self.session.add(module)
            self.session.flush()
            for _ in range(lessons_per_module):
                position += 1
                self.session.add(
                    Lesson(
                        lesson_id=uuid.uuid4(), course_id=course.course_id, module_id=module.module_id,
                        position=position, title=f"{title} L{position}", estimated_minutes=minutes,
                    )
                )  # fmt: skip
        self.session.flush()
        return course

    def level(self, skill: Skill, level: float, user: User | None = None) -> None:
        self.session.merge(
            LearnerSkillLevel(
                user_id=(user or self.learner).user_id,
                skill_id=skill.skill_id,
                level=level,
                source="diagnostic",
            )
        )
        self.session.flush()

    def goal(self, targets: dict[Skill, float], *, days: int = 84, hours: float = 5) -> dict[str, Any]:
        body = {
            "deadline": in_days(days),
            "hours_per_week": hours,
            "skills": [{"skill_id": str(s.skill_id), "target_level": t} for s, t in targets.items()],
        }
        response = self.client.post("/api/v1/goals", json=body, headers=self.h(self.learner))
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def lessons(self, course: Course) -> list[Lesson]:
        from sqlalchemy import select

        return list(
            self.session.scalars(
                select(Lesson).where(Lesson.course_id == course.course_id).order_by(Lesson.position)
            )
        )
