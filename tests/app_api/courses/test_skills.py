"""The skills taxonomy: admins change it (with ETags), everyone reads it, no cycles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.courses.helpers import Actors, create_course, events


@pytest.fixture
def actors(client: TestClient, session: Session) -> Actors:
    return Actors(client, session)


def make(client: TestClient, actors: Actors, slug: str, parent: str | None = None) -> dict[str, Any]:
    response = client.post(
        "/api/v1/skills",
        json={"slug": slug, "name": f"Skill {slug}", "parent": parent},
        headers=actors.headers["admin"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_admin_creates_a_tree_that_everyone_reads(
    client: TestClient, session: Session, actors: Actors
) -> None:
    root = make(client, actors, "tx-data")
    child = make(client, actors, "tx-sql", parent="tx-data")
    assert (child["parent"], child["parent_skill_id"], child["version"]) == ("tx-data", root["skill_id"], 1)
    read = client.get(f"/api/v1/skills/{child['skill_id']}")
    assert read.json()["slug"] == "tx-sql"
    assert read.headers["ETag"] == child["etag"]
    children = client.get("/api/v1/skills", params={"parent": "tx-data"}).json()
    assert [item["slug"] for item in children["items"]] == ["tx-sql"]
    created = events(session, verb="created", object_type="skill")
    assert [(event["object_id"], event["extensions"]) for event in created] == [
        (root["skill_id"], {"slug": "tx-data"}),
        (child["skill_id"], {"slug": "tx-sql"}),
    ]
    assert {event["actor_id"] for event in created} == {actors.admin.user_id}


@pytest.mark.parametrize("who", ["learner", "owner", "anonymous"])
def test_only_admins_change_skills(client: TestClient, actors: Actors, who: str) -> None:
    skill = make(client, actors, f"tx-only-{who}")
    headers = {**actors.headers[who], "If-Match": skill["etag"]}
    expected = 401 if who == "anonymous" else 403
    assert (
        client.post("/api/v1/skills", json={"slug": "tx-x", "name": "X"}, headers=headers).status_code
        == expected
    )
    assert (
        client.patch(f"/api/v1/skills/{skill['skill_id']}", json={"name": "Y"}, headers=headers).status_code
        == expected
    )
    assert client.delete(f"/api/v1/skills/{skill['skill_id']}", headers=headers).status_code == expected
    assert client.get(f"/api/v1/skills/{skill['skill_id']}").json()["name"] == f"Skill tx-only-{who}"


def test_reparenting_that_closes_a_cycle_is_refused(client: TestClient, actors: Actors) -> None:
    make(client, actors, "tx-a")
    make(client, actors, "tx-b", parent="tx-a")
    c = make(client, actors, "tx-c", parent="tx-b")
    a = client.get("/api/v1/skills", params={"limit": 100}).json()["items"]
    a = next(item for item in a if item["slug"] == "tx-a")
    response = client.patch(
        f"/api/v1/skills/{a['skill_id']}",
        json={"parent": "tx-c"},
        headers={**actors.headers["admin"], "If-Match": a["etag"]},
    )
    assert response.status_code == 422
    assert response.json()["cycle"] == ["tx-a", "tx-c", "tx-b", "tx-a"]
    assert "tx-a -> tx-c -> tx-b -> tx-a" in response.json()["detail"]
    # Moving the leaf to the root is fine; making it its own parent is not.
    moved = client.patch(
        f"/api/v1/skills/{c['skill_id']}",
        json={"parent": None},
        headers={**actors.headers["admin"], "If-Match": c["etag"]},
    )
    assert (moved.json()["parent"], moved.json()["version"]) == (None, 2)
    own = client.patch(
        f"/api/v1/skills/{c['skill_id']}",
        json={"parent": "tx-c"},
        headers={**actors.headers["admin"], "If-Match": moved.json()["etag"]},
    )
    assert own.status_code == 422


def test_skill_edits_need_the_current_etag_and_a_free_slug(
    client: TestClient, session: Session, actors: Actors
) -> None:
    make(client, actors, "tx-taken")
    skill = make(client, actors, "tx-mine")
    url = f"/api/v1/skills/{skill['skill_id']}"
    admin = actors.headers["admin"]
    assert client.patch(url, json={"name": "New"}, headers=admin).status_code == 428
    taken = client.patch(url, json={"slug": "tx-taken"}, headers={**admin, "If-Match": skill["etag"]})
    assert taken.status_code == 409
    renamed = client.patch(url, json={"slug": "tx-renamed"}, headers={**admin, "If-Match": skill["etag"]})
    assert renamed.json()["slug"] == "tx-renamed"
    stale = client.patch(url, json={"name": "Late"}, headers={**admin, "If-Match": skill["etag"]})
    assert stale.status_code == 412
    assert [
        event["extensions"] for event in events(session, verb="updated", object_id=skill["skill_id"])
    ] == [{"slug": "tx-renamed", "changed": ["slug"]}]
    duplicate = client.post("/api/v1/skills", json={"slug": "tx-taken", "name": "Again"}, headers=admin)
    assert duplicate.status_code == 409
    bad = client.post("/api/v1/skills", json={"slug": "Not A Slug", "name": "X"}, headers=admin)
    assert bad.json()["errors"][0]["field"] == "body.slug"


def test_only_unused_leaf_skills_can_be_deleted(client: TestClient, session: Session, actors: Actors) -> None:
    admin = actors.headers["admin"]
    parent = make(client, actors, "tx-parent")
    make(client, actors, "tx-leaf", parent="tx-parent")
    tagged = make(client, actors, "tx-tagged")
    held = make(client, actors, "tx-held")
    create_course(client, actors.headers["owner"], skills=["tx-tagged"])
    session.execute(
        text(
            "insert into learner_skill_levels (user_id, skill_id, level, source) "
            "values (:user, :skill, 4, 'self')"
        ),
        {"user": actors.learner.user_id, "skill": held["skill_id"]},
    )
    for skill, reason in ((parent, "child skills"), (tagged, "tagged on courses"), (held, "hold levels")):
        response = client.delete(
            f"/api/v1/skills/{skill['skill_id']}", headers={**admin, "If-Match": skill["etag"]}
        )
        assert response.status_code == 409
        assert reason in response.json()["detail"]
    unused = make(client, actors, "tx-unused")
    assert (
        client.delete(
            f"/api/v1/skills/{unused['skill_id']}", headers={**admin, "If-Match": unused["etag"]}
        ).status_code
        == 204
    )
    assert client.get(f"/api/v1/skills/{unused['skill_id']}").status_code == 404
    assert len(events(session, verb="deleted", object_id=unused["skill_id"])) == 1
    assert events(session, verb="deleted", object_type="skill", object_id=parent["skill_id"]) == []


def test_skill_pages_cover_every_skill_once(client: TestClient, actors: Actors) -> None:
    made = {make(client, actors, f"tx-page-{n}")["slug"] for n in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        body = client.get(
            "/api/v1/skills", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += [item["slug"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert made <= set(seen)
