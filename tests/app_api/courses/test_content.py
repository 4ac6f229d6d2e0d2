"""Modules and lessons: ordering, ownership, ETags and their events."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app_api.courses.helpers import Actors, add_lesson, create_course, events


@pytest.fixture
def actors(client: TestClient, session: Session) -> Actors:
    return Actors(client, session)


def test_modules_and_lessons_in_order_with_course_totals(
    client: TestClient, session: Session, actors: Actors
) -> None:
    owner = actors.headers["owner"]
    course = create_course(client, owner)
    course_id = course["course_id"]
    intro = client.post(f"/api/v1/courses/{course_id}/modules", json={"title": "Intro"}, headers=owner).json()
    deeper = client.post(
        f"/api/v1/courses/{course_id}/modules", json={"title": "Deeper"}, headers=owner
    ).json()
    assert (intro["position"], deeper["position"]) == (1, 2)
    first = add_lesson(
        client, owner, course_id, title="Welcome", estimated_minutes=5, module_id=intro["module_id"]
    )
    second = add_lesson(
        client,
        owner,
        course_id,
        title="Joins",
        estimated_minutes=25,
        module_id=deeper["module_id"],
        is_required=False,
    )
    third = add_lesson(client, owner, course_id, title="Wrap-up", estimated_minutes=10, position=10)
    assert [first["position"], second["position"], third["position"]] == [1, 2, 10]
    assert (second["is_required"], third["module_id"]) == (False, None)

    read = client.get(f"/api/v1/courses/{course_id}", headers=owner).json()
    assert (read["lesson_count"], read["module_count"], read["estimated_minutes"]) == (3, 2, 40)
    page = client.get(f"/api/v1/courses/{course_id}/lessons", params={"limit": 2}, headers=owner).json()
    rest = client.get(
        f"/api/v1/courses/{course_id}/lessons", params={"cursor": page["next_cursor"]}, headers=owner
    ).json()
    assert [item["title"] for item in page["items"] + rest["items"]] == ["Welcome", "Joins", "Wrap-up"]
    assert rest["next_cursor"] is None
    only_deeper = client.get(
        f"/api/v1/courses/{course_id}/lessons", params={"module_id": deeper["module_id"]}, headers=owner
    ).json()
    assert [item["title"] for item in only_deeper["items"]] == ["Joins"]

    lesson_events = events(session, verb="created", object_type="lesson", course_id=course_id)
    assert [(event["object_id"], event["module_id"]) for event in lesson_events] == [
        (first["lesson_id"], uuid.UUID(intro["module_id"])),
        (second["lesson_id"], uuid.UUID(deeper["module_id"])),
        (third["lesson_id"], None),
    ]
    assert len(events(session, verb="created", object_type="module", course_id=course_id)) == 2


def test_taken_positions_and_foreign_modules_are_refused(client: TestClient, actors: Actors) -> None:
    owner = actors.headers["owner"]
    course = create_course(client, owner)
    other = create_course(client, owner)
    foreign = client.post(
        f"/api/v1/courses/{other['course_id']}/modules", json={"title": "Elsewhere"}, headers=owner
    )
    add_lesson(client, owner, course["course_id"], title="First", position=1)
    clash = client.post(
        f"/api/v1/courses/{course['course_id']}/lessons",
        json={"title": "Also first", "estimated_minutes": 3, "position": 1},
        headers=owner,
    )
    assert clash.status_code == 409
    assert "'First'" in clash.json()["detail"]
    wrong_module = client.post(
        f"/api/v1/courses/{course['course_id']}/lessons",
        json={"title": "X", "estimated_minutes": 3, "module_id": foreign.json()["module_id"]},
        headers=owner,
    )
    assert wrong_module.status_code == 422
    assert wrong_module.json()["errors"][0]["field"] == "body.module_id"
    too_long = client.post(
        f"/api/v1/courses/{course['course_id']}/lessons",
        json={"title": "X", "estimated_minutes": 5000},
        headers=owner,
    )
    assert too_long.json()["errors"][0]["field"] == "body.estimated_minutes"


def test_lesson_edits_use_etags_and_record_what_changed(
    client: TestClient, session: Session, actors: Actors
) -> None:
    owner = actors.headers["owner"]
    course = create_course(client, owner)
    lesson = add_lesson(client, owner, course["course_id"], title="Draft text", estimated_minutes=10)
    url = f"/api/v1/lessons/{lesson['lesson_id']}"
    assert client.patch(url, json={"title": "Final"}, headers=owner).status_code == 428
    done = client.patch(
        url, json={"title": "Final", "is_required": False}, headers={**owner, "If-Match": lesson["etag"]}
    )
    assert (done.json()["title"], done.json()["is_required"], done.json()["version"]) == ("Final", False, 2)
    assert (
        client.patch(url, json={"title": "Lost"}, headers={**owner, "If-Match": lesson["etag"]}).status_code
        == 412
    )
    assert client.get(url, headers=owner).json()["title"] == "Final"
    other = {**actors.headers["other_instructor"], "If-Match": done.json()["etag"]}
    assert client.patch(url, json={"title": "Stolen"}, headers=other).status_code == 403
    assert client.delete(url, headers=other).status_code == 403
    assert client.delete(url, headers={**owner, "If-Match": done.json()["etag"]}).status_code == 204
    assert client.get(url, headers=owner).status_code == 404
    assert [event["verb"] for event in events(session, object_id=lesson["lesson_id"])] == [
        "created",
        "updated",
        "deleted",
    ]
    assert events(session, verb="updated", object_id=lesson["lesson_id"])[0]["extensions"] == {
        "changed": ["is_required", "title"]
    }


def test_a_module_with_lessons_is_not_deleted(client: TestClient, session: Session, actors: Actors) -> None:
    owner = actors.headers["owner"]
    course = create_course(client, owner)
    module = client.post(
        f"/api/v1/courses/{course['course_id']}/modules", json={"title": "M"}, headers=owner
    ).json()
    lesson = add_lesson(client, owner, course["course_id"], module_id=module["module_id"])
    url = f"/api/v1/modules/{module['module_id']}"
    blocked = client.delete(url, headers={**owner, "If-Match": module["etag"]})
    assert blocked.status_code == 409
    assert "1 lessons" in blocked.json()["detail"]
    moved = client.patch(
        f"/api/v1/lessons/{lesson['lesson_id']}",
        json={"module_id": None},
        headers={**owner, "If-Match": lesson["etag"]},
    )
    assert moved.json()["module_id"] is None
    renamed = client.patch(
        url, json={"title": "Renamed"}, headers={**owner, "If-Match": module["etag"]}
    ).json()
    assert client.delete(url, headers={**owner, "If-Match": module["etag"]}).status_code == 412
    assert client.delete(url, headers={**owner, "If-Match": renamed["etag"]}).status_code == 204
    verbs = [event["verb"] for event in events(session, object_type="module", object_id=module["module_id"])]
    assert verbs == ["created", "updated", "deleted"]
