"""Lesson progress arithmetic, course completion, summaries, and the events each report writes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app_api.courses.helpers import Actors, add_lesson, create_course, events, publish


@pytest.fixture
def actors(client: TestClient, session: Session) -> Actors:
    return Actors(client, session)


@pytest.fixture
def course(client: TestClient, actors: Actors) -> dict[str, Any]:
    """Two required lessons (10 and 20 minutes) and an optional one, published; the learner is enrolled."""
    owner = actors.headers["owner"]
    course = create_course(client, owner, title="Progress 101")
    module = client.post(f"/api/v1/courses/{course['course_id']}/modules", json={"title": "M"}, headers=owner)
    lessons = [
        add_lesson(client, owner, course["course_id"], title="One", module_id=module.json()["module_id"]),
        add_lesson(client, owner, course["course_id"], title="Two"),
        add_lesson(client, owner, course["course_id"], title="Extra", is_required=False),
    ]
    publish(client, owner, course["course_id"])
    enrollment = client.post(
        f"/api/v1/courses/{course['course_id']}/enrollments", headers=actors.headers["learner"]
    )
    return {
        **course,
        "lessons": lessons,
        "enrollment": enrollment.json(),
        "module_id": module.json()["module_id"],
    }


def report(
    client: TestClient, headers: dict[str, str], course: dict[str, Any], lesson: int, **body: Any
) -> Any:
    enrollment_id = course["enrollment"]["enrollment_id"]
    lesson_id = course["lessons"][lesson]["lesson_id"]
    return client.post(
        f"/api/v1/enrollments/{enrollment_id}/lessons/{lesson_id}/progress", json=body, headers=headers
    )


def test_percent_never_drops_time_accumulates_and_each_report_writes_its_events(
    client: TestClient, session: Session, actors: Actors, course: dict[str, Any]
) -> None:
    learner = actors.headers["learner"]
    lesson_id = course["lessons"][0]["lesson_id"]
    first = report(client, learner, course, 0, percent=40, time_spent_s=120).json()["lesson"]
    assert (first["percent"], first["time_spent_s"], first["completed_at"]) == (40, 120.0, None)
    assert first["started_at"] is not None
    lower = report(client, learner, course, 0, percent=25, time_spent_s=30.5).json()["lesson"]
    assert (lower["percent"], lower["time_spent_s"]) == (40, 150.5)
    # A report that changes nothing writes nothing.
    report(client, learner, course, 0, percent=10)

    written = events(session, object_id=lesson_id, actor_id=actors.learner.user_id)
    assert [(e["verb"], e["duration_s"], e["extensions"]) for e in written] == [
        ("initialized", None, {}),
        ("progressed", 120.0, {"percent": 40, "time_spent_s": 120.0}),
        ("progressed", 30.5, {"percent": 40, "time_spent_s": 150.5}),
    ]
    assert {(str(e["registration"]), str(e["course_id"]), str(e["module_id"])) for e in written} == {
        (course["enrollment"]["enrollment_id"], course["course_id"], course["module_id"])
    }


def test_course_completes_when_every_required_lesson_is_complete(
    client: TestClient, session: Session, actors: Actors, course: dict[str, Any]
) -> None:
    learner = actors.headers["learner"]
    one = report(client, learner, course, 0, percent=100, time_spent_s=600).json()
    assert one["lesson"]["completed_at"] is not None
    assert (one["course"]["status"], one["course"]["required_completed"], one["course"]["percent"]) == (
        "active",
        1,
        50.0,
    )
    partial = report(client, learner, course, 1, percent=50, time_spent_s=60).json()["course"]
    assert (partial["percent"], partial["lessons_completed"], partial["time_spent_s"]) == (75.0, 1, 660.0)
    done = report(client, learner, course, 1, completed=True, time_spent_s=40).json()
    assert done["lesson"]["percent"] == 100
    summary = done["course"]
    assert (summary["status"], summary["lessons_total"], summary["lessons_required"]) == ("completed", 3, 2)
    assert (summary["required_completed"], summary["percent"], summary["time_spent_s"]) == (2, 100.0, 700.0)
    assert summary["completed_at"] is not None

    enrollment = client.get(
        f"/api/v1/enrollments/{course['enrollment']['enrollment_id']}", headers=learner
    ).json()
    assert (enrollment["status"], enrollment["completed_at"]) == ("completed", summary["completed_at"])
    completions = events(session, verb="completed", course_id=course["course_id"])
    assert [(e["object_type"], e["object_id"], e["completion"], e["duration_s"]) for e in completions] == [
        ("lesson", course["lessons"][0]["lesson_id"], True, 600.0),
        ("lesson", course["lessons"][1]["lesson_id"], True, 100.0),
        ("course", course["course_id"], True, 700.0),
    ]
    # Completing the optional lesson later adds a lesson completion, never a second course completion.
    report(client, learner, course, 2, completed=True)
    assert [e["object_type"] for e in events(session, verb="completed", course_id=course["course_id"])] == [
        "lesson", "lesson", "course", "lesson"
    ]  # fmt: skip
    # A completed lesson stays complete; completed=false is ignored.
    assert report(client, learner, course, 0, completed=False).json()["lesson"]["percent"] == 100


def test_the_optional_lesson_alone_does_not_complete_the_course(
    client: TestClient, actors: Actors, course: dict[str, Any]
) -> None:
    summary = report(client, actors.headers["learner"], course, 2, completed=True).json()["course"]
    got = (summary["status"], summary["lessons_completed"], summary["required_completed"], summary["percent"])
    assert got == ("active", 1, 0, 0.0)


def test_only_the_learner_reports_and_only_on_their_course(
    client: TestClient, actors: Actors, course: dict[str, Any]
) -> None:
    for who, expected in (("other_learner", 403), ("admin", 403), ("owner", 403), ("anonymous", 401)):
        assert report(client, actors.headers[who], course, 0, percent=10).status_code == expected, who
    other = create_course(client, actors.headers["owner"])
    stray = add_lesson(client, actors.headers["owner"], other["course_id"])
    response = client.post(
        f"/api/v1/enrollments/{course['enrollment']['enrollment_id']}/lessons/{stray['lesson_id']}/progress",
        json={"percent": 10},
        headers=actors.headers["learner"],
    )
    assert response.status_code == 404
    assert report(client, actors.headers["learner"], course, 0, percent=101).status_code == 422
    assert report(client, actors.headers["learner"], course, 0, time_spent_s=-1).status_code == 422
    client.post(
        f"/api/v1/enrollments/{course['enrollment']['enrollment_id']}/drop", headers=actors.headers["learner"]
    )
    dropped = report(client, actors.headers["learner"], course, 0, percent=10)
    assert dropped.status_code == 409
    assert "enroll in the course again" in dropped.json()["detail"]


def test_lesson_list_and_learner_summary(client: TestClient, actors: Actors, course: dict[str, Any]) -> None:
    learner = actors.headers["learner"]
    report(client, learner, course, 1, percent=30, time_spent_s=90)
    enrollment_id = course["enrollment"]["enrollment_id"]
    lessons = client.get(f"/api/v1/enrollments/{enrollment_id}/lessons", headers=learner).json()["items"]
    assert [(item["title"], item["percent"], item["started_at"] is None) for item in lessons] == [
        ("One", 0, True), ("Two", 30, False), ("Extra", 0, True)
    ]  # fmt: skip
    assert (
        client.get(
            f"/api/v1/enrollments/{enrollment_id}/lessons", headers=actors.headers["other_learner"]
        ).status_code
        == 403
    )
    by_course = client.get(
        f"/api/v1/enrollments/{enrollment_id}/progress", headers=actors.headers["admin"]
    ).json()
    assert (by_course["percent"], by_course["time_spent_s"]) == (15.0, 90.0)

    url = f"/api/v1/learners/{actors.learner.user_id}/progress"
    summary = client.get(url, headers=learner).json()
    assert (summary["enrollments_active"], summary["lessons_completed"], summary["time_spent_s"]) == (
        1,
        0,
        90.0,
    )
    assert [item["course_title"] for item in summary["courses"]] == ["Progress 101"]
    assert client.get(url, headers=actors.headers["other_learner"]).status_code == 403
    assert client.get(url, headers=actors.headers["owner"]).status_code == 403
    assert client.get(url, headers=actors.headers["admin"]).json()["time_spent_s"] == 90.0


def test_instructors_read_only_aggregates_of_their_own_courses(
    client: TestClient, session: Session, actors: Actors, course: dict[str, Any]
) -> None:
    report(client, actors.headers["learner"], course, 0, completed=True, time_spent_s=100)
    report(client, actors.headers["learner"], course, 1, percent=50, time_spent_s=20)
    other = client.post(
        f"/api/v1/courses/{course['course_id']}/enrollments", headers=actors.headers["other_learner"]
    ).json()
    client.post(f"/api/v1/enrollments/{other['enrollment_id']}/drop", headers=actors.headers["other_learner"])

    url = f"/api/v1/courses/{course['course_id']}/progress"
    aggregate = client.get(url, headers=actors.headers["owner"]).json()
    assert aggregate == {
        "course_id": course["course_id"], "title": "Progress 101", "enrollments_active": 1,
        "enrollments_completed": 0, "enrollments_dropped": 1, "completion_rate": 0.0,
        "mean_percent": 75.0, "mean_time_spent_s": 120.0,
    }  # fmt: skip
    funnel = client.get(f"{url}/lessons", headers=actors.headers["admin"]).json()["items"]
    rows = [(f["title"], f["learners_started"], f["learners_completed"], f["mean_percent"]) for f in funnel]
    assert rows == [("One", 1, 1, 100.0), ("Two", 1, 0, 50.0), ("Extra", 0, 0, 0.0)]
    assert "user_id" not in str(aggregate) + str(funnel)
    for who in ("other_instructor", "learner"):
        assert client.get(url, headers=actors.headers[who]).status_code == 403
        assert client.get(f"{url}/lessons", headers=actors.headers[who]).status_code == 403
