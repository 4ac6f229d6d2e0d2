"""The next step of an enrollment: lessons in order, prerequisites first, quizzes after lessons, revision
first when the learner's level on the step's skill is low."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app_api.assessments.models import Assessment, AssessmentAttempt, AssessmentQuestion, Question
from app_api.courses.models import Course
from app_api.enrollments.models import Enrollment
from tests.app_api.paths.world import PathWorld


def enroll(w: PathWorld, course: Course) -> str:
    response = w.client.post(f"/api/v1/courses/{course.course_id}/enrollments", headers=w.h(w.learner))
    assert response.status_code in (200, 201), response.text
    return str(response.json()["enrollment_id"])


def complete(w: PathWorld, enrollment_id: str, lesson_id: uuid.UUID) -> None:
    response = w.client.post(
        f"/api/v1/enrollments/{enrollment_id}/lessons/{lesson_id}/progress",
        json={"percent": 100},
        headers=w.h(w.learner),
    )
    assert response.status_code == 200, response.text


def quiz(w: PathWorld, course: Course, title: str, due_in_days: int) -> Assessment:
    assessment = Assessment(
        assessment_id=uuid.uuid4(), course_id=course.course_id, title=title, assessment_type="quiz",
        status="published", due_at=datetime.now(UTC) + timedelta(days=due_in_days),
    )  # fmt: skip
    question = Question(
        question_id=uuid.uuid4(), course_id=course.course_id, skill_id=w.python.skill_id,
        question_type="numeric", prompt="2+2", answer_key={"value": 4, "tolerance": 0},
    )  # fmt: skip
    w.session.add_all([assessment, question])
    w.session.flush()
    w.session.add(
        AssessmentQuestion(
            assessment_id=assessment.assessment_id, question_id=question.question_id, position=1
        )
    )
    w.session.flush()
    return assessment


def test_lessons_in_order_then_quizzes_then_done(client: TestClient, session: Session) -> None:
    w = PathWorld(client, session)
    course = w.course("SQL Joins", "intermediate", [w.sql])
    lessons = w.lessons(course)
    second_quiz, first_quiz = quiz(w, course, "Quiz 2", 14), quiz(w, course, "Quiz 1", 7)  # by due date
    enrollment_id = enroll(w, course)
    url = f"/api/v1/enrollments/{enrollment_id}/next"

    step = client.get(url, headers=w.h(w.learner)).json()
    assert (step["kind"], step["lesson_id"], step["then"]) == ("lesson", str(lessons[0].lesson_id), None)
    complete(w, enrollment_id, lessons[0].lesson_id)
    complete(w, enrollment_id, lessons[2].lesson_id)  # out of order: lesson 2 is still next
    assert client.get(url, headers=w.h(w.learner)).json()["lesson_id"] == str(lessons[1].lesson_id)
    for lesson in lessons:
        complete(w, enrollment_id, lesson.lesson_id)
    step = client.get(url, headers=w.h(w.admin)).json()
    assert (step["kind"], step["assessment_id"]) == ("quiz", str(first_quiz.assessment_id))
    session.add(
        AssessmentAttempt(
            assessment_id=first_quiz.assessment_id, user_id=w.learner.user_id, status="graded",
            started_at=datetime.now(UTC), success=True, score_scaled=1.0,
        )
    )  # fmt: skip
    session.flush()
    assert client.get(url, headers=w.h(w.learner)).json()["assessment_id"] == str(second_quiz.assessment_id)
    session.add(
        AssessmentAttempt(
            assessment_id=second_quiz.assessment_id, user_id=w.learner.user_id, status="graded",
            started_at=datetime.now(UTC), success=None, score_scaled=0.8,
        )
    )  # fmt: skip
    session.flush()
    assert client.get(url, headers=w.h(w.learner)).json()["kind"] == "done"
    assert client.get(url, headers=w.h(w.other)).status_code == 403


def test_an_uncompleted_prerequisite_comes_first(client: TestClient, session: Session) -> None:
    w = PathWorld(client, session)
    basics = w.course("SQL Basics", "beginner", [w.sql])
    joins = w.course("SQL Joins", "intermediate", [w.sql])
    enrollment_id = enroll(w, joins)
    # The prerequisite is added after the learner enrolled (the enrollment itself checks them).
    from app_api.courses.models import CoursePrerequisite

    session.add(CoursePrerequisite(course_id=joins.course_id, prerequisite_course_id=basics.course_id))
    session.flush()
    step = client.get(f"/api/v1/enrollments/{enrollment_id}/next", headers=w.h(w.learner)).json()
    assert (step["kind"], step["prerequisite_course_id"], step["title"]) == (
        "prerequisite", str(basics.course_id), "SQL Basics",
    )  # fmt: skip
    session.add(
        Enrollment(
            user_id=w.learner.user_id, course_id=basics.course_id, status="completed",
            enrolled_at=datetime.now(UTC), completed_at=datetime.now(UTC),
        )
    )  # fmt: skip
    session.flush()
    step = client.get(f"/api/v1/enrollments/{enrollment_id}/next", headers=w.h(w.learner)).json()
    assert step["kind"] == "lesson"


def test_revision_first_when_the_level_is_low_for_where_the_course_should_have_brought_them(
    client: TestClient, session: Session
) -> None:
    w = PathWorld(client, session)
    course = w.course("SQL Joins", "intermediate", [w.sql])  # band 4 -> 7, 4 required lessons
    lessons = w.lessons(course)
    enrollment_id = enroll(w, course)
    url = f"/api/v1/enrollments/{enrollment_id}/next"
    w.level(w.sql, 2.0)
    # Nothing completed yet: nothing to revise, whatever the level.
    assert client.get(url, headers=w.h(w.learner)).json()["kind"] == "lesson"
    complete(w, enrollment_id, lessons[0].lesson_id)
    complete(w, enrollment_id, lessons[1].lesson_id)
    # Half done: expected 4 + 3 * 0.5 = 5.5; 2.0 is more than 1.5 below -> revise lesson 2, then lesson 3.
    step = client.get(url, headers=w.h(w.learner)).json()
    assert (step["kind"], step["lesson_id"]) == ("revision", str(lessons[1].lesson_id))
    assert step["then"]["lesson_id"] == str(lessons[2].lesson_id)
    assert step["reason"] == (
        "Revise SQL Joins L2 first: your SQL level is 2, more than 1.5 below the 5.5 expected by now "
        "in this course."
    )
    w.level(w.sql, 4.0)  # exactly the margin below 5.5: no revision
    step = client.get(url, headers=w.h(w.learner)).json()
    assert (step["kind"], step["lesson_id"]) == ("lesson", str(lessons[2].lesson_id))


def test_several_enrollments_at_once_answer_as_each_alone(client: TestClient, session: Session) -> None:
    """``next_steps`` (the learner's page) shares its reads; each step must still be the one asked alone:
    a prerequisite, a revision, a next lesson and a finished course, side by side."""
    from app_api.courses.models import CoursePrerequisite
    from app_api.paths.next_step import next_step, next_steps
    from skillstudio.web.principals import Principal

    w = PathWorld(client, session)
    basics = w.course("SQL Basics", "beginner", [w.sql])
    joins = w.course("SQL Joins", "intermediate", [w.sql])
    windows = w.course("SQL Windows", "advanced", [w.sql, w.python])
    tiny = w.course("SQL Tiny", "beginner", [w.sql])
    ids = [enroll(w, course) for course in (joins, windows, tiny)]
    session.add(CoursePrerequisite(course_id=joins.course_id, prerequisite_course_id=basics.course_id))
    lessons = w.lessons(windows)
    complete(w, ids[1], lessons[0].lesson_id)
    complete(w, ids[1], lessons[1].lesson_id)
    for lesson in w.lessons(tiny):
        complete(w, ids[2], lesson.lesson_id)
    w.level(w.sql, 2.0)
    session.flush()
    learner = Principal(user_id=w.learner.user_id, role="learner")
    together = next_steps(session, principal=learner, enrollment_ids=[uuid.UUID(i) for i in ids])
    alone = [next_step(session, principal=learner, enrollment_id=uuid.UUID(i)) for i in ids]
    assert together == alone
    assert [step.kind for step in together] == ["prerequisite", "revision", "done"]
    assert next_steps(session, principal=learner, enrollment_ids=[]) == []
