"""Issue 13, point 6: ``GET /api/v1/search`` with the real model on a handful of courses.

The courses are written so that the answer is known: the cooking course shares no word with its query
(only meaning finds it), the SQL course is found by its words, drafts never appear, filters narrow, and
the numpy fallback ranks exactly as pgvector does.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from models.search import SentenceEncoder, rocchio
from pipelines.defs.search.embeddings import refresh_course_embeddings
from serving.search.engine import (
    FEEDBACK_DOCS,
    FEEDBACK_WEIGHT,
    SearchFilters,
    VectorIndex,
    hybrid_search,
    keyword_search,
)
from serving.search.router import search_encoder
from skillstudio.db import driver_connection

API = "/api/v1/search"
COURSES = {
    "cooking": ("Culinary basics", "Food & Nutrition", "beginner", "Chop, roast and bake."),
    "sql": ("Relational databases with SQL", "Computer Science", "intermediate", "Joins, indexes, queries."),
    "python": ("Python programming", "Computer Science", "beginner", "Variables, loops and functions."),
    "poetry": ("Romantic poetry", "Literature", "advanced", "Keats, Shelley and Byron read closely."),
    "finance": ("Personal finance", "Economics & Finance", "beginner", "Budgets, saving and investing."),
    "draft": ("Home cooking for everyone", "Food & Nutrition", "beginner", "Learning to cook meals at home."),
}


def _add_courses(session: Session) -> dict[str, uuid.UUID]:
    ids = {}
    for key, (title, subject, level, description) in COURSES.items():
        ids[key] = uuid.uuid4()
        session.execute(
            text(
                "insert into courses (course_id, title, subject, level, description, status) "
                "values (:id, :title, :subject, :level, :description, :status)"
            ),
            {"id": ids[key], "title": title, "subject": subject, "level": level,
             "description": description, "status": "draft" if key == "draft" else "published"},
        )  # fmt: skip
    session.execute(
        text("insert into skills (skill_id, slug, name) values (:id, 'databases', 'Databases')"),
        {"id": (skill_id := uuid.uuid4())},
    )
    session.execute(
        text("insert into course_skills (course_id, skill_id) values (:course, :skill)"),
        {"course": ids["sql"], "skill": skill_id},
    )
    return ids


@pytest.fixture
def courses(session: Session) -> dict[str, uuid.UUID]:
    ids = _add_courses(session)
    refresh_course_embeddings(driver_connection(session), search_encoder())
    return ids


def _ids(response_json: dict) -> list[str]:
    return [item["course_id"] for item in response_json["items"]]


def test_meaning_finds_a_course_that_shares_no_word_with_the_query(
    client: TestClient, courses: dict[str, uuid.UUID]
) -> None:
    response = client.get(API, params={"q": "learning to cook meals at home"})
    assert response.status_code == 200, response.text
    first = response.json()["items"][0]
    assert first["course_id"] == str(courses["cooking"])
    assert first["semantic_rank"] == 1 and first["keyword_rank"] is None
    # The draft says the query word for word, yet nobody finds it here.
    assert str(courses["draft"]) not in _ids(response.json())


def test_words_and_meaning_agree_on_sql(client: TestClient, courses: dict[str, uuid.UUID]) -> None:
    body = client.get(API, params={"q": "SQL database queries", "limit": 3}).json()
    assert body["query"] == "SQL database queries"
    first = body["items"][0]
    assert (first["course_id"], first["title"], first["semantic_rank"], first["keyword_rank"]) == (
        str(courses["sql"]), "Relational databases with SQL", 1, 1,
    )  # fmt: skip
    assert len(body["items"]) == 3
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_filters_narrow_both_rankers(client: TestClient, courses: dict[str, uuid.UUID]) -> None:
    science = client.get(API, params={"q": "programming", "subject": "computer science"}).json()
    assert set(_ids(science)) == {str(courses["sql"]), str(courses["python"])}
    assert _ids(science)[0] == str(courses["python"])
    params = {"q": "programming", "subject": "Computer Science", "level": "BEGINNER"}
    beginner = client.get(API, params=params)
    assert _ids(beginner.json()) == [str(courses["python"])]
    tagged = client.get(API, params={"q": "programming", "skill": "databases"}).json()
    assert _ids(tagged) == [str(courses["sql"])]
    assert client.get(API, params={"q": "programming", "skill": "no-such-skill"}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "?!"}, "query.q"),
        ({}, "query.q"),
        ({"q": "x" * 201}, "query.q"),
        ({"q": "sql", "limit": 0}, "query.limit"),
        ({"q": "sql", "skill": "Not A Slug"}, "query.skill"),
        ({"q": "sql\x00"}, "query.q"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client: TestClient, params: dict, field: str) -> None:
    response = client.get(API, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {error["field"] for error in response.json()["errors"]}


def _ranked(session: Session, index: VectorIndex, query: str, **options: object) -> list[tuple]:
    hits = hybrid_search(session, encoder=search_encoder(), index=index, query=query, **options)  # type: ignore[arg-type]
    return [(hit.course_id, hit.semantic_rank, hit.keyword_rank) for hit in hits]


QUERIES = ["learning to cook meals at home", "programming", "poems of the nineteenth century", "money"]
# depth 2 over-fetches 8 nearest, then filters; with a filter that keeps fewer than 2 of them, the search
# ranks every course that passes instead. Either way the answer is the exhaustive one.
OPTIONS: list[dict[str, object]] = [
    {},
    {"depth": 2},
    {"depth": 1, "filters": SearchFilters(level="advanced")},
    {"depth": 2, "filters": SearchFilters(subject="computer science")},
]


def test_every_path_gives_the_exact_answer(session: Session, courses: dict[str, uuid.UUID]) -> None:
    with_pgvector = {
        (query, number): _ranked(session, VectorIndex(), query, **options)
        for query in QUERIES
        for number, options in enumerate(OPTIONS)
    }
    assert with_pgvector[("programming", 3)] == [(courses["python"], 1, 1), (courses["sql"], 2, None)]
    assert [row[0] for row in with_pgvector[("money", 2)]] == [courses["poetry"]]
    session.execute(
        text("alter table course_embeddings alter column embedding type real[] using embedding::real[]")
    )
    fallback = VectorIndex()
    with_numpy = {
        (query, number): _ranked(session, fallback, query, **options)
        for query in QUERIES
        for number, options in enumerate(OPTIONS)
    }
    assert fallback.column_type(session.connection()) == "real[]"
    assert with_numpy == with_pgvector


def test_numpy_fallback_ranks_like_pgvector(session: Session, courses: dict[str, uuid.UUID]) -> None:
    encoder = search_encoder()
    queries = QUERIES
    with_pgvector = [
        [hit.course_id for hit in hybrid_search(session, encoder=encoder, index=VectorIndex(), query=query)]
        for query in queries
    ]
    # What a server without the extension has: the same table with a real[] column.
    session.execute(
        text("alter table course_embeddings alter column embedding type real[] using embedding::real[]")
    )
    fallback = VectorIndex()
    with_numpy = [
        [hit.course_id for hit in hybrid_search(session, encoder=encoder, index=fallback, query=query)]
        for query in queries
    ]
    assert fallback.column_type(session.connection()) == "real[]"
    assert with_numpy == with_pgvector
    assert with_numpy[0][0] == courses["cooking"]
    narrowed = hybrid_search(
        session, encoder=encoder, index=fallback, query="programming", filters=SearchFilters(level="beginner")
    )
    assert courses["sql"] not in {hit.course_id for hit in narrowed}


def test_keyword_search_alone_misses_what_only_meaning_finds(
    session: Session, courses: dict[str, uuid.UUID]
) -> None:
    assert keyword_search(session, query="learning to cook meals at home") == []
    hits = keyword_search(session, query="python loops")
    assert [hit.course_id for hit in hits] == [courses["python"]]


def test_embeddings_are_remade_only_for_changed_courses(
    session: Session, courses: dict[str, uuid.UUID]
) -> None:
    encoder: SentenceEncoder = search_encoder()
    conn = driver_connection(session)
    again = refresh_course_embeddings(conn, encoder)
    assert (again.encoded, again.unchanged, again.column_type) == (0, len(COURSES), "vector(384)")
    session.execute(
        text("update courses set title = 'Advanced French cuisine' where course_id = :id"),
        {"id": courses["cooking"]},
    )
    assert refresh_course_embeddings(conn, encoder).encoded == 1
    session.execute(text("delete from courses where course_id = :id"), {"id": courses["poetry"]})
    assert session.scalar(text("select count(*) from course_embeddings")) == len(COURSES) - 1


def test_the_meaning_ranker_ranks_by_the_query_moved_toward_its_own_first_courses(
    session: Session, courses: dict[str, uuid.UUID]
) -> None:
    encoder = search_encoder()
    rows = session.execute(
        text(
            "select e.course_id, e.embedding::real[] from course_embeddings e "
            "join courses c using (course_id) where c.status = 'published' order by e.course_id"
        )
    ).all()
    ids = [row[0] for row in rows]
    matrix = np.array([row[1] for row in rows], dtype=np.float32)
    for query in QUERIES:
        vector = encoder.encode_query(query)
        first = np.argsort(-(matrix @ vector), kind="stable")[:FEEDBACK_DOCS]
        moved = rocchio(vector, matrix[first], beta=FEEDBACK_WEIGHT)
        expected = [ids[row] for row in np.argsort(-(matrix @ moved), kind="stable")]
        hits = hybrid_search(session, encoder=encoder, index=VectorIndex(), query=query, keyword=False)
        assert [hit.course_id for hit in hits] == expected
        assert [hit.semantic_rank for hit in hits] == list(range(1, len(expected) + 1))


def test_feedback_re_ranks_the_first_scans_candidates(
    session: Session, courses: dict[str, uuid.UUID]
) -> None:
    """depth 1 over-fetches the 4 nearest embeddings (drafts too); the moved vector ranks the ones that pass.

    The feedback re-ranks the candidates of the first scan instead of scanning every embedding again, on
    both paths: its first course is the best of those candidates for the moved vector, not of them all.
    """
    encoder = search_encoder()
    rows = session.execute(
        text(
            "select e.course_id, e.embedding::real[], c.status = 'published' from course_embeddings e "
            "join courses c using (course_id) order by e.course_id"
        )
    ).all()
    ids = [row[0] for row in rows]
    matrix = np.array([row[1] for row in rows], dtype=np.float32)
    published = np.array([row[2] for row in rows])
    expected = {}
    for query in QUERIES:
        vector = encoder.encode_query(query)
        nearest_four = np.argsort(-(matrix @ vector), kind="stable")[:4]
        passing = [row for row in nearest_four if published[row]]
        moved = rocchio(vector, matrix[passing[:FEEDBACK_DOCS]], beta=FEEDBACK_WEIGHT)
        expected[query] = ids[passing[int(np.argmax(matrix[passing] @ moved))]]
    options: dict[str, object] = {"depth": 1, "keyword": False, "limit": 1}
    assert {query: _ranked(session, VectorIndex(), query, **options)[0][0] for query in QUERIES} == expected
    session.execute(
        text("alter table course_embeddings alter column embedding type real[] using embedding::real[]")
    )
    fallback = VectorIndex()
    assert {query: _ranked(session, fallback, query, **options)[0][0] for query in QUERIES} == expected
