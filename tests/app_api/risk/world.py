"""A scripted course for the risk tests: an instructor, learners enrolled, two lessons and a quiz due soon."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app_api.assessments.models import Assessment
from app_api.courses.models import Course, Lesson
from app_api.enrollments.models import Enrollment
from app_api.progress.models import LessonProgress
from app_api.users.models import User
from tests.app_api.assessments.helpers import enroll, make_course
from tests.factories import make_user


@dataclass
class RiskWorld:
    instructor: User
    course: Course
    lessons: list[Lesson]
    quiz: Assessment
    learners: list[User] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)


def risk_world(session: Session, learners: int = 3) -> RiskWorld:
    instructor = make_user(session, role="instructor")
    course = make_course(session, instructor=instructor)
    lessons = [
        Lesson(
            lesson_id=uuid.uuid4(), course_id=course.course_id, position=n, title=title, estimated_minutes=20
        )
        for n, title in enumerate(("Select and where", "Joins"), start=1)
    ]
    session.add_all(lessons)
    quiz = Assessment(
        assessment_id=uuid.uuid4(),
        course_id=course.course_id,
        title="Quiz 1",
        assessment_type="quiz",
        status="published",
        due_at=datetime.now(UTC) + timedelta(days=3),
    )
    session.add(quiz)
    session.flush()
    world = RiskWorld(instructor=instructor, course=course, lessons=lessons, quiz=quiz)
    for _ in range(learners):
        learner = make_user(session)
        world.learners.append(learner)
        world.enrollments.append(enroll(session, learner, course))
    return world


def complete_lesson(session: Session, enrollment: Enrollment, lesson: Lesson) -> None:
    now = datetime.now(UTC)
    session.add(
        LessonProgress(
            enrollment_id=enrollment.enrollment_id,
            lesson_id=lesson.lesson_id,
            started_at=now,
            percent=100,
            time_spent_s=600.0,
            completed_at=now,
        )
    )
    session.flush()
