"""Completing a course through the API, which issues its certificate."""

from __future__ import annotations

from typing import Any

from tests.app_api.integration_world import World


def complete_course(w: World, learner: str = "learner", **course_fields: Any) -> dict[str, Any]:
    """Learner completes a new one-lesson course of instructor X; the certificate it issued."""
    course = w.course(lessons=1, **course_fields)
    enrollment = w.enroll(course, learner)
    lesson = w.lessons(course)[0]
    path = f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson['lesson_id']}/progress"
    w.ok(learner, "POST", path, json={"percent": 100, "time_spent_s": 600})
    return certificate_of(w, course["course_id"], learner)


def certificate_of(w: World, course_id: str, learner: str = "learner") -> dict[str, Any]:
    items = w.ok(learner, "GET", "/me/certificates", params={"limit": 100})["items"]
    (certificate,) = [item for item in items if item["course_id"] == course_id]
    return dict(certificate)
