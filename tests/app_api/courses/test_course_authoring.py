"""Course authoring: ownership, ETag preconditions, publication states, prerequisites and their events."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.courses.helpers import Actors, add_lesson, create_course, events, publish


@pytest.fixture
def actors(client: TestClient, session: Session) -> Actors:
    return Actors(client, session)


def test_instructor_creates_an_owned_draft_and_its_event(
    client: TestClient, session: Session, actors: Actors
) -> None:
    response = client.post(
        "/api/v1/courses",
        json={
            "title": "  SQL for analysts ",
            "subject": "SQL",
            "level": "intermediate",
            "description": "Joins.",
        },
        headers=actors.headers["owner"],
    )
    assert response.status_code == 201
    course = response.json()
    assert (course["title"], course["status"], course["instructor_id"], course["version"]) == (
        "SQL for analysts", "draft", str(actors.owner.user_id), 1
    )  # fmt: skip
    assert (course["lesson_count"], course["estimated_minutes"], course["published_at"]) == (0, 0, None)
    assert response.headers["ETag"] == course["etag"] == f'"{course["course_id"]}.1"'
    assert events(session, object_id=course["course_id"]) == [
        {
            "actor_id": actors.owner.user_id, "verb": "created", "object_type": "course",
            "object_id": course["course_id"], "course_id": uuid.UUID(course["course_id"]), "module_id": None,
            "registration": None, "completion": None, "duration_s": None, "extensions": {"status": "draft"},
        }
    ]  # fmt: skip


def test_learners_cannot_author_and_instructors_cannot_create_for_others(
    client: TestClient, session: Session, actors: Actors
) -> None:
    body = {"title": "T", "subject": "S", "level": "beginner"}
    assert client.post("/api/v1/courses", json=body, headers=actors.headers["learner"]).status_code == 403
    assert client.post("/api/v1/courses", json=body).status_code == 401
    other = {**body, "instructor_id": str(actors.other_instructor.user_id)}
    refused = client.post("/api/v1/courses", json=other, headers=actors.headers["owner"])
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    # Admins may create a course on an instructor's behalf; it then belongs to that instructor.
    made = client.post("/api/v1/courses", json=other, headers=actors.headers["admin"]).json()
    assert made["instructor_id"] == str(actors.other_instructor.user_id)
    assert events(session, verb="created", object_id=made["course_id"])[0]["actor_id"] == actors.admin.user_id
    not_instructor = {**body, "instructor_id": str(actors.learner.user_id)}
    assert (
        client.post("/api/v1/courses", json=not_instructor, headers=actors.headers["admin"]).status_code
        == 422
    )


def test_patch_needs_the_current_etag(client: TestClient, session: Session, actors: Actors) -> None:
    course = create_course(client, actors.headers["owner"], title="Before")
    url = f"/api/v1/courses/{course['course_id']}"
    missing = client.patch(url, json={"title": "After"}, headers=actors.headers["owner"])
    assert missing.status_code == 428
    assert missing.json()["current_etag"] == course["etag"]

    first = client.patch(
        url, json={"title": "After"}, headers={**actors.headers["owner"], "If-Match": course["etag"]}
    )
    assert first.status_code == 200
    assert (first.json()["title"], first.json()["version"]) == ("After", 2)
    assert first.headers["ETag"] == f'"{course["course_id"]}.2"'

    # A second editor still holding the first ETag is refused instead of overwriting "After".
    stale = client.patch(
        url, json={"title": "Lost update"}, headers={**actors.headers["admin"], "If-Match": course["etag"]}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_etag"] == first.headers["ETag"]
    assert client.get(url, headers=actors.headers["owner"]).json()["title"] == "After"
    weak = client.patch(
        url,
        json={"title": "X"},
        headers={**actors.headers["owner"], "If-Match": "W/" + first.headers["ETag"]},
    )
    assert weak.status_code == 412
    assert (
        client.patch(
            url, json={"title": "X"}, headers={**actors.headers["owner"], "If-Match": "*"}
        ).status_code
        == 412
    )

    updates = events(session, verb="updated", object_id=course["course_id"])
    assert [event["extensions"] for event in updates] == [{"changed": ["title"]}]


def test_patch_without_a_real_change_writes_no_event(
    client: TestClient, session: Session, actors: Actors
) -> None:
    course = create_course(client, actors.headers["owner"], title="Same")
    response = client.patch(
        f"/api/v1/courses/{course['course_id']}",
        json={"title": "Same", "level": "beginner"},
        headers={**actors.headers["owner"], "If-Match": course["etag"]},
    )
    assert response.json()["version"] == 1
    assert events(session, verb="updated", object_id=course["course_id"]) == []


def test_other_instructors_and_learners_cannot_change_a_course(
    client: TestClient, session: Session, actors: Actors
) -> None:
    course, _ = publish_with_lesson(client, actors)
    url = f"/api/v1/courses/{course['course_id']}"
    for who in ("other_instructor", "learner"):
        headers = {**actors.headers[who], "If-Match": course["etag"]}
        assert client.patch(url, json={"title": "Mine now"}, headers=headers).status_code == 403
        assert client.delete(url, headers=headers).status_code == 403
        assert client.post(f"{url}/archive", headers=headers).status_code == 403
        assert (
            client.post(
                f"{url}/lessons", json={"title": "x", "estimated_minutes": 1}, headers=headers
            ).status_code
            == 403
        )
    assert client.get(url).json()["title"] == course["title"]
    assert (
        events(
            session, verb="updated", object_id=course["course_id"], actor_id=actors.other_instructor.user_id
        )
        == []
    )


def publish_with_lesson(client: TestClient, actors: Actors) -> tuple[dict, dict]:
    course = create_course(client, actors.headers["owner"])
    lesson = add_lesson(client, actors.headers["owner"], course["course_id"])
    return publish(client, actors.headers["owner"], course["course_id"]), lesson


def test_imported_courses_are_admin_only(client: TestClient, session: Session, actors: Actors) -> None:
    course_id = uuid.uuid4()
    session.execute(
        text(
            "insert into courses (course_id, title, subject, level) "
            "values (:id, 'OU AAA', 'unspecified', 'unspecified')"
        ),
        {"id": course_id},
    )
    url = f"/api/v1/courses/{course_id}"
    read = client.get(url)
    assert (read.json()["instructor_id"], read.json()["level"], read.json()["version"]) == (
        None,
        "unspecified",
        1,
    )
    headers = {"If-Match": read.headers["ETag"]}
    refused = client.patch(url, json={"level": "advanced"}, headers={**actors.headers["owner"], **headers})
    assert refused.status_code == 403
    assert "only admins" in refused.json()["detail"]
    done = client.patch(url, json={"level": "advanced"}, headers={**actors.headers["admin"], **headers})
    assert done.json()["level"] == "advanced"


def test_publication_transitions_and_their_events(
    client: TestClient, session: Session, actors: Actors
) -> None:
    course = create_course(client, actors.headers["owner"])
    url = f"/api/v1/courses/{course['course_id']}"
    owner = actors.headers["owner"]
    empty = client.post(f"{url}/publish", headers=owner)
    assert empty.status_code == 409
    assert "at least one lesson" in empty.json()["detail"]
    add_lesson(client, owner, course["course_id"])
    assert client.post(f"{url}/unpublish", headers=owner).json()["status_now"] == "draft"
    published = client.post(f"{url}/publish", headers=owner).json()
    assert (published["status"], published["version"]) == ("published", 2)
    assert published["published_at"] is not None
    assert client.post(f"{url}/publish", headers=owner).status_code == 409
    stale = client.post(f"{url}/archive", headers={**owner, "If-Match": course["etag"]})
    assert stale.status_code == 412
    assert client.post(f"{url}/archive", headers=owner).json()["status"] == "archived"
    assert client.post(f"{url}/unpublish", headers=owner).status_code == 409
    assert client.post(f"{url}/publish", headers=owner).json()["status"] == "published"
    statuses = [
        (event["extensions"]["previous_status"], event["extensions"]["status"])
        for event in events(session, verb="updated", object_id=course["course_id"])
    ]
    assert statuses == [("draft", "published"), ("published", "archived"), ("archived", "published")]


def test_delete_needs_no_enrollments_and_no_dependants(
    client: TestClient, session: Session, actors: Actors
) -> None:
    owner = actors.headers["owner"]
    base, _ = publish_with_lesson(client, actors)
    follow_up = create_course(client, owner, prerequisites=[base["course_id"]])
    blocked = client.delete(
        f"/api/v1/courses/{base['course_id']}", headers={**owner, "If-Match": base["etag"]}
    )
    assert blocked.status_code == 409
    assert follow_up["title"] in blocked.json()["detail"]

    assert client.delete(f"/api/v1/courses/{follow_up['course_id']}", headers=owner).status_code == 428
    gone = client.delete(
        f"/api/v1/courses/{follow_up['course_id']}", headers={**owner, "If-Match": follow_up["etag"]}
    )
    assert gone.status_code == 204
    assert client.get(f"/api/v1/courses/{follow_up['course_id']}", headers=owner).status_code == 404
    assert [
        event["extensions"] for event in events(session, verb="deleted", object_id=follow_up["course_id"])
    ] == [{"title": follow_up["title"]}]
    client.post(f"/api/v1/courses/{base['course_id']}/enrollments", headers=actors.headers["learner"])
    enrolled = client.delete(
        f"/api/v1/courses/{base['course_id']}", headers={**owner, "If-Match": base["etag"]}
    )
    assert enrolled.status_code == 409
    assert "archive it instead" in enrolled.json()["detail"]


def test_prerequisite_cycles_are_refused_naming_the_cycle(
    client: TestClient, session: Session, actors: Actors
) -> None:
    owner = actors.headers["owner"]
    a = create_course(client, owner, title="A basics")
    b = create_course(client, owner, title="B middle", prerequisites=[a["course_id"]])
    c = create_course(client, owner, title="C advanced", prerequisites=[b["course_id"]])
    assert [ref["title"] for ref in c["prerequisites"]] == ["B middle"]

    response = client.patch(
        f"/api/v1/courses/{a['course_id']}",
        json={"prerequisites": [c["course_id"]]},
        headers={**owner, "If-Match": a["etag"]},
    )
    assert response.status_code == 422
    problem = response.json()
    assert [ref["title"] for ref in problem["cycle"]] == ["A basics", "C advanced", "B middle", "A basics"]
    assert [ref["course_id"] for ref in problem["cycle"]] == [
        a["course_id"],
        c["course_id"],
        b["course_id"],
        a["course_id"],
    ]
    assert "'A basics' requires 'C advanced' requires 'B middle' requires 'A basics'" in problem["detail"]

    itself = client.patch(
        f"/api/v1/courses/{a['course_id']}",
        json={"prerequisites": [a["course_id"]]},
        headers={**owner, "If-Match": a["etag"]},
    )
    assert itself.status_code == 422
    assert [ref["title"] for ref in itself.json()["cycle"]] == ["A basics", "A basics"]
    # Nothing was stored and no event written for the refused edits.
    assert client.get(f"/api/v1/courses/{a['course_id']}", headers=owner).json()["prerequisites"] == []
    assert events(session, verb="updated", object_id=a["course_id"]) == []


def test_unknown_prerequisites_and_skills_are_field_errors(client: TestClient, actors: Actors) -> None:
    owner = actors.headers["owner"]
    ghost = str(uuid.uuid4())
    body = {"title": "T", "subject": "S", "level": "beginner", "prerequisites": [ghost]}
    response = client.post("/api/v1/courses", json=body, headers=owner)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.prerequisites.0"
    skills = client.post(
        "/api/v1/courses", json={**body, "prerequisites": [], "skills": ["no-such-skill"]}, headers=owner
    )
    assert skills.status_code == 422
    assert skills.json()["errors"][0] == {
        "field": "body.skills.0", "message": "no skill has slug 'no-such-skill'", "type": "unknown"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "bad\u0000title", "subject": "S", "level": "beginner"}, "body.title"),
        ({"title": "T", "subject": "S", "level": "expert"}, "body.level"),
        ({"title": "", "subject": "S", "level": "beginner"}, "body.title"),
        ({"title": "T", "subject": "S", "level": "beginner", "colour": "red"}, "body.colour"),
    ],
)
def test_bad_course_input_is_a_field_level_422(
    client: TestClient, actors: Actors, body: dict, field: str
) -> None:
    response = client.post("/api/v1/courses", json=body, headers=actors.headers["owner"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_explicit_null_for_a_required_field_is_refused(client: TestClient, actors: Actors) -> None:
    course = create_course(client, actors.headers["owner"])
    response = client.patch(
        f"/api/v1/courses/{course['course_id']}",
        json={"title": None},
        headers={**actors.headers["owner"], "If-Match": course["etag"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.title"


def test_only_admins_hand_a_course_to_another_instructor(
    client: TestClient, session: Session, actors: Actors
) -> None:
    course = create_course(client, actors.headers["owner"])
    url = f"/api/v1/courses/{course['course_id']}"
    echoed = client.patch(
        url,
        json={"instructor_id": str(actors.owner.user_id), "title": "Echo"},
        headers={**actors.headers["owner"], "If-Match": course["etag"]},
    )
    assert (echoed.status_code, echoed.json()["title"]) == (200, "Echo")
    hand_over = {"instructor_id": str(actors.other_instructor.user_id)}
    refused = client.patch(
        url, json=hand_over, headers={**actors.headers["owner"], "If-Match": echoed.json()["etag"]}
    )
    assert refused.status_code == 403
    moved = client.patch(
        url, json=hand_over, headers={**actors.headers["admin"], "If-Match": echoed.json()["etag"]}
    )
    assert moved.json()["instructor_id"] == str(actors.other_instructor.user_id)
    # The old owner loses the course: its draft is now hidden from them and their edits are refused.
    assert client.get(url, headers=actors.headers["owner"]).status_code == 404
    edit = {**actors.headers["owner"], "If-Match": moved.json()["etag"]}
    assert client.patch(url, json={"title": "Mine"}, headers=edit).status_code == 403
    changed = [
        event["extensions"]["changed"]
        for event in events(session, verb="updated", object_id=course["course_id"])
    ]
    assert changed == [["title"], ["instructor_id"]]
