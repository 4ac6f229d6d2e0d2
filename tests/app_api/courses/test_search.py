"""Catalogue search: filters, free text, skills with their sub-skills, and keyset pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app_api.common.pagination import encode_cursor
from app_api.courses.search import prefix_query
from skillstudio.errors import InvalidContent
from tests.app_api.courses.helpers import Actors, create_course, publish, published_course


@pytest.fixture
def actors(client: TestClient, session: Session) -> Actors:
    return Actors(client, session)


def skill(client: TestClient, actors: Actors, slug: str, parent: str | None = None) -> dict[str, Any]:
    response = client.post(
        "/api/v1/skills",
        json={"slug": slug, "name": slug.title(), "parent": parent},
        headers=actors.headers["admin"],
    )
    assert response.status_code == 201, response.text
    return response.json()


def titles(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/api/v1/courses", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_filters_by_subject_level_and_skill_with_sub_skills(client: TestClient, actors: Actors) -> None:
    owner = actors.headers["owner"]
    skill(client, actors, "srch-data")
    skill(client, actors, "srch-sql", parent="srch-data")
    skill(client, actors, "srch-sql-joins", parent="srch-sql")
    skill(client, actors, "srch-design")
    published_course(
        client, owner, title="Srch Joins", subject="SrchSQL", level="intermediate", skills=["srch-sql-joins"]
    )
    published_course(
        client, owner, title="Srch Stats", subject="SrchData", level="beginner", skills=["srch-data"]
    )
    published_course(
        client, owner, title="Srch Colour", subject="SrchDesign", level="beginner", skills=["srch-design"]
    )
    create_course(
        client, owner, title="Srch Draft", subject="SrchSQL", level="intermediate", skills=["srch-sql"]
    )

    assert titles(client, subject="srchsql") == ["Srch Joins"]
    assert sorted(titles(client, q="srch", level="beginner")) == ["Srch Colour", "Srch Stats"]
    assert sorted(titles(client, skill="srch-data")) == ["Srch Joins", "Srch Stats"]
    assert titles(client, skill="srch-sql") == ["Srch Joins"]
    assert titles(client, skill="srch-sql-joins", level="beginner") == []
    assert titles(client, skill="no-such-skill") == []
    # The owner also finds their draft through the same filters; learners do not.
    mine = client.get(
        "/api/v1/courses", params={"skill": "srch-sql", "status": "draft"}, headers=owner
    ).json()
    assert [item["title"] for item in mine["items"]] == ["Srch Draft"]
    tagged = client.get("/api/v1/courses", params={"subject": "SrchSQL"}).json()["items"][0]
    assert [ref["slug"] for ref in tagged["skills"]] == ["srch-sql-joins"]


def test_free_text_matches_word_prefixes_case_insensitively_best_first(
    client: TestClient, actors: Actors
) -> None:
    owner = actors.headers["owner"]
    published_course(
        client, owner, title="Pythonic data wrangling", subject="Zq", description="Pandas and polars."
    )
    published_course(
        client, owner, title="Statistics", subject="Zq", description="Uses PYTHON for every exercise."
    )
    published_course(client, owner, title="Rust systems", subject="Zq", description="No snakes here.")
    assert titles(client, q="PYTH", subject="zq") == ["Pythonic data wrangling", "Statistics"]
    assert titles(client, q="python exercises", subject="zq") == ["Statistics"]
    assert titles(client, q="wrangle", subject="zq") == ["Pythonic data wrangling"]
    assert titles(client, q="haskell", subject="zq") == []
    refused = client.get("/api/v1/courses", params={"q": "!!!"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "query.q"


def test_prefix_query_keeps_only_letters_and_digits() -> None:
    assert prefix_query("C++ & (SQL) | 'drop'") == "c:* & sql:* & drop:*"
    with pytest.raises(InvalidContent):
        prefix_query("&|!")


@pytest.mark.parametrize("search", [None, "paging"])
def test_pages_neither_repeat_nor_skip_while_courses_are_added(
    client: TestClient, actors: Actors, search: str | None
) -> None:
    owner = actors.headers["owner"]
    params: dict[str, Any] = {"subject": "Paging", "limit": 3}
    if search:
        params["q"] = search
    before = {
        published_course(client, owner, lessons=1, title=f"Paging {n}", subject="Paging")[0]["course_id"]
        for n in range(8)
    }
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        response = client.get("/api/v1/courses", params={**params, **({"cursor": cursor} if cursor else {})})
        body = response.json()
        seen += [item["course_id"] for item in body["items"]]
        pages += 1
        # A new course arrives between every two page reads.
        published_course(client, owner, lessons=1, title=f"Paging new {pages}", subject="Paging")
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    if search is None:
        # Newest first: courses added meanwhile sort before the first page and are not served.
        assert (pages, len(seen)) == (3, 8)


def test_foreign_or_mangled_cursors_are_400(client: TestClient) -> None:
    skills_page = encode_cursor(["skills", "2026-01-01T00:00:00+00:00", str(uuid.uuid4())])
    for cursor, names in (
        ("not base64 at all", None),
        (encode_cursor(["courses:new", 1, 2]), None),
        (skills_page, "'skills'"),
        # Dropping ``q`` while paging a search: the same route, another order.
        (encode_cursor(["courses:rank", 0.5, str(uuid.uuid4())]), "'courses:rank'"),
    ):
        response = client.get("/api/v1/courses", params={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.headers["content-type"] == "application/problem+json"
        detail = response.json()["detail"]
        assert "cursor" in detail and "next_cursor" in detail
        if names is None:
            assert "another list" not in detail
        else:
            assert f"another list ({names}), not to this one ('courses:new')" in detail
    assert client.get("/api/v1/courses", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/courses", params={"limit": 101}).status_code == 422
    assert client.get("/api/v1/courses", params={"subject": "a\u0000b"}).status_code == 422


def test_learners_search_only_published_courses(client: TestClient, actors: Actors) -> None:
    owner = actors.headers["owner"]
    course, _ = published_course(client, owner, title="Hidden soon", subject="Hiding")
    assert titles(client, subject="hiding") == ["Hidden soon"]
    client.post(f"/api/v1/courses/{course['course_id']}/unpublish", headers=owner)
    assert titles(client, subject="hiding") == []
    publish(client, owner, course["course_id"])
    assert titles(client, subject="hiding", status="draft") == []
