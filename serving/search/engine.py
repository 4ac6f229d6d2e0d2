"""Hybrid course search: nearest embeddings and PostgreSQL full text, fused by reciprocal rank.

Each ranker returns its best ``depth`` published courses that pass the filters; weighted reciprocal rank
fusion (``models.search``; meaning 0.8, words 0.2) merges them, so a course found by both comes first and
a course that only one ranker knows (a new course not embedded yet, a query whose words no title
contains) is still found. The meaning ranker's query vector is moved toward the courses it found first
(Rocchio feedback) and its candidates are ranked again by the moved vector; that ranking is the one
fused. Where the server has pgvector the nearest embeddings are an exact ``<=>`` scan and the feedback
is in the same SQL statement; elsewhere they are an exact numpy scan over a matrix cached per database
and re-read when the table changes. The query is encoded while the database ranks its words.

Full text here ORs the query's words (stemmed English; the last word also as a prefix, for text being
typed) and ranks by ``ts_rank`` with the title above subject and description: a plain-words query such as
"intro to data analysis" should rank courses by how many of its words they hold, not demand all of them.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from models.search import SentenceEncoder, nearest, reciprocal_rank_fusion, rocchio
from skillstudio.errors import InvalidContent

DEPTH = 50  # candidates taken from each ranker before fusion
OVERFETCH = 4  # nearest embeddings read per candidate kept, before the filters drop some
# Chosen on the dev half of the edX catalogue's queries (docs/search.md), checked on the held-out half and
# on a catalogue with skills: the meaning ranker counts 4 times the full-text one in the fusion, and its
# query is moved halfway toward the mean of its own first 10 courses before the ranking that is fused.
SEMANTIC_WEIGHT = 0.8
KEYWORD_WEIGHT = 0.2
FEEDBACK_DOCS = 10
FEEDBACK_WEIGHT = 0.5
MAX_QUERY_WORDS = 16
_WORD = re.compile(r"[^\W_]+")
_VECTOR_TYPE_QUERY = text(
    "select format_type(atttypid, atttypmod) from pg_attribute "
    "where attrelid = to_regclass('course_embeddings') and attname = 'embedding'"
)


@dataclass(frozen=True)
class SearchFilters:
    subject: str | None = None
    level: str | None = None
    skill: str | None = None  # a slug: courses tagged with it or a skill below it


@dataclass(frozen=True)
class SearchHit:
    course_id: uuid.UUID
    title: str
    subject: str
    level: str
    score: float
    semantic_rank: int | None
    keyword_rank: int | None


def keyword_query(query: str) -> str:
    """A ``to_tsquery`` string ORing the words of ``query``; only letters and digits get through."""
    words = [word.lower() for word in _WORD.findall(query)[:MAX_QUERY_WORDS]]
    if not words:
        raise InvalidContent(
            "The search text needs at least one letter or digit.",
            errors=[{"field": "query.q", "message": "no letters or digits", "type": "value_error"}],
        )
    terms = list(dict.fromkeys(words))
    if len(words[-1]) >= 3:
        terms.append(f"{words[-1]}:*")
    return " | ".join(terms)


def _filter_sql(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    clauses = ["c.status = 'published'"]
    params: dict[str, Any] = {}
    if filters.subject is not None:
        clauses.append("lower(c.subject) = lower(:subject)")
        params["subject"] = filters.subject
    if filters.level is not None:
        clauses.append("lower(c.level) = lower(:level)")
        params["level"] = filters.level
    if filters.skill is not None:
        clauses.append(
            "c.course_id in (select course_id from course_skills where skill_id in ("
            "with recursive tree as (select skill_id from skills where slug = :skill union "
            "select s.skill_id from skills s join tree on s.parent_skill_id = tree.skill_id) "
            "select skill_id from tree))"
        )
        params["skill"] = filters.skill
    return " and ".join(clauses), params


def _keyword_cte(where: str, depth: str = ":depth") -> str:
    # Ranked inside a limited subquery: a top-N heap over the matches, not a full sort and window of them.
    return (
        "keyword as (select course_id, row_number() over (order by score desc, course_id) as rank from ("
        "select c.course_id, ts_rank(c.search_vector, q.query) as score "
        "from courses c, to_tsquery('english', :tsquery) as q(query) "
        f"where {where} and c.search_vector @@ q.query "
        f"order by score desc, c.course_id limit {depth}) as matches)"
    )


# Every ranker's rows are (ranker, course_id, rank, title, subject, level): the hits' details come with them.
_KEYWORD_ROWS = (
    "select 'keyword', k.course_id, k.rank, c.title, c.subject, c.level "
    "from keyword k join courses c on c.course_id = k.course_id"
)
# Query encoding runs here while the route's connection ranks the query's words (see hybrid_search).
_ENCODING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-encoding")


class VectorIndex:
    """Where a database's course embeddings are searched: in SQL (pgvector) or in a cached numpy matrix."""

    def __init__(self, *, refresh_seconds: float = 30.0) -> None:
        self.refresh_seconds = refresh_seconds
        self._column_types: dict[str, str | None] = {}
        self._matrices: dict[str, tuple[float, tuple[Any, ...], np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def column_type(self, connection: Connection) -> str | None:
        """``vector(384)``, ``real[]``, or None before the migration ran; read once per database."""
        key = str(connection.engine.url)
        if key not in self._column_types:
            self._column_types[key] = connection.execute(_VECTOR_TYPE_QUERY).scalar()
        return self._column_types[key]

    def matrix(self, connection: Connection) -> tuple[np.ndarray, np.ndarray]:
        """(course ids, unit rows) of every stored embedding, re-read when the table changed."""
        key = str(connection.engine.url)
        now = time.monotonic()
        cached = self._matrices.get(key)
        if cached is not None and now - cached[0] < self.refresh_seconds:
            return cached[2], cached[3]
        stamp = tuple(
            connection.execute(text("select count(*), max(updated_at) from course_embeddings")).one()
        )
        if cached is None or cached[1] != stamp:
            rows = connection.execute(text("select course_id, embedding from course_embeddings")).all()
            ids = np.array([row[0] for row in rows], dtype=object)
            vectors = np.array([row[1] for row in rows], dtype=np.float32).reshape(len(rows), -1)
            cached = (now, stamp, ids, vectors)
        else:
            cached = (now, *cached[1:])
        with self._lock:
            self._matrices[key] = cached
        return cached[2], cached[3]


def _connection(session: Session | Connection) -> Connection:
    return session.connection() if isinstance(session, Session) else session


def hybrid_search(
    session: Session | Connection,
    *,
    encoder: SentenceEncoder,
    index: VectorIndex,
    query: str,
    filters: SearchFilters = SearchFilters(),
    limit: int = 10,
    depth: int = DEPTH,
    keyword: bool = True,
) -> list[SearchHit]:
    """The best ``limit`` published courses for ``query``: embeddings and full text, fused.

    The meaning ranker takes the courses nearest the query's vector (``depth × OVERFETCH`` of them, or
    every course when the filters leave fewer than ``depth``), moves the vector toward the first
    ``FEEDBACK_DOCS`` that pass the filters (Rocchio feedback) and ranks those same candidates by the moved
    vector; that ranking is the one fused. ``keyword=False`` ranks by embeddings alone (the evaluation
    reports it beside the hybrid).

    The query is encoded in a worker thread while the database ranks its words: the full-text ranking
    does not need the vector, and the model and the database each release the GIL while they work.
    """
    connection = _connection(session)
    tsquery = keyword_query(query)
    encoding = _ENCODING.submit(encoder.encode_query, query)
    where, params = _filter_sql(filters)
    params |= {"tsquery": tsquery, "depth": depth, "feedback_docs": FEEDBACK_DOCS}
    try:
        keyword_rows = (
            connection.execute(text(f"with {_keyword_cte(where)} {_KEYWORD_ROWS}"), params).all()
            if keyword
            else []
        )
    finally:
        vector = encoding.result()
    pgvector = (index.column_type(connection) or "").startswith("vector")
    semantic_rows = _semantic(connection, index, vector, where, params, pgvector=pgvector, exhaustive=False)
    if len(semantic_rows) < depth:
        # Filters (or unpublished courses) removed too many of the nearest: rank every course that passes.
        semantic_rows = _semantic(
            connection, index, vector, where, params, pgvector=pgvector, exhaustive=True
        )
    return _fuse([*semantic_rows, *keyword_rows], limit)


def _semantic(
    connection: Connection,
    index: VectorIndex,
    vector: np.ndarray,
    where: str,
    params: dict[str, Any],
    *,
    pgvector: bool,
    exhaustive: bool,
) -> Sequence[Any]:
    """The meaning ranker's best ``depth``: ``("semantic", course_id, rank)`` rows, after feedback.

    The nearest embeddings are taken first without the filters (an exact scan of one table, no join), then
    filtered; a course that passes the filters but lies past the over-fetched ones can only be farther
    than every one kept, so when ``depth`` of them pass the first ranking is exact. ``exhaustive`` ranks
    every embedding instead. The query is then moved toward the mean embedding of the first
    ``FEEDBACK_DOCS`` candidates that pass, and the candidates that pass are ranked again by the moved
    vector: one scan of the embeddings, not two. pgvector does all of it in one statement; numpy scans
    the cached matrix, one statement filters the candidates and numpy re-ranks those that pass.
    """
    depth = int(params["depth"])
    if pgvector:
        nearest_first = "" if exhaustive else " order by distance limit :overfetch"
        # The embeddings are read again by key for the candidates that pass: carrying 1.5 kB vectors
        # through the scan's top-N sort costs more than the scan's distances. Cosine distance ignores
        # length, so ranking by q / beta + mean(feedback) is ranking by q + beta * mean(feedback).
        statement = (
            "with candidates as (select course_id, embedding <=> cast(:vector as vector) as distance "
            f"from course_embeddings{nearest_first}), "
            "passing as (select n.course_id, e.embedding, c.title, c.subject, c.level, "
            "row_number() over (order by n.distance, n.course_id) as first_rank "
            "from candidates n join courses c on c.course_id = n.course_id "
            f"join course_embeddings e on e.course_id = n.course_id where {where}), "
            "moved as (select cast(:feedback_vector as vector) + avg(embedding) as vector "
            "from passing where first_rank <= :feedback_docs) "
            "select 'semantic', p.course_id, "
            "row_number() over (order by p.embedding <=> m.vector, p.course_id) as rank, "
            "p.title, p.subject, p.level "
            "from passing p, moved m order by rank limit :depth"
        )
        return connection.execute(
            text(statement),
            params
            | {
                "vector": _literal(vector),
                "feedback_vector": _literal(vector / np.float32(FEEDBACK_WEIGHT)),
                "overfetch": depth * OVERFETCH,
            },
        ).all()
    ids, matrix = index.matrix(connection)  # one read: the rows below index this matrix
    if exhaustive:
        rows = _numpy_ranking(connection, ids, matrix, vector, where, params)
    else:
        rows, _ = nearest(matrix, vector, k=depth * OVERFETCH)
    row_of = {ids[row]: row for row in rows}
    passing = connection.execute(
        text(
            "select n.course_id, c.title, c.subject, c.level "
            "from unnest(cast(:candidate_ids as uuid[])) with ordinality as n(course_id, position) "
            f"join courses c on c.course_id = n.course_id where {where} order by n.position"
        ),
        params | {"candidate_ids": list(ids[rows])},
    ).all()
    if not passing:
        return []
    candidates = matrix[[row_of[course_id] for course_id, *_ in passing]]
    moved = rocchio(vector, candidates[:FEEDBACK_DOCS], beta=FEEDBACK_WEIGHT)
    order, _ = nearest(candidates, moved, k=depth)
    return [("semantic", passing[row][0], rank, *passing[row][1:]) for rank, row in enumerate(order, start=1)]


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]"


def keyword_search(
    session: Session | Connection, *, query: str, filters: SearchFilters = SearchFilters(), limit: int = 10
) -> list[SearchHit]:
    """Full text alone: the hybrid's keyword ranker, for comparison (the evaluation's baseline)."""
    connection = _connection(session)
    where, params = _filter_sql(filters)
    params |= {"tsquery": keyword_query(query), "depth": limit}
    rows = connection.execute(text(f"with {_keyword_cte(where)} {_KEYWORD_ROWS}"), params).all()
    return _fuse(rows, limit)


def _numpy_ranking(
    connection: Connection,
    ids: np.ndarray,
    matrix: np.ndarray,
    vector: np.ndarray,
    where: str,
    params: dict[str, Any],
) -> np.ndarray:
    """Rows of ``matrix`` whose course passes the filters, nearest ``vector`` first."""
    allowed = {
        row[0] for row in connection.execute(text(f"select c.course_id from courses c where {where}"), params)
    }
    keep = np.flatnonzero(
        np.fromiter((course_id in allowed for course_id in ids), dtype=bool, count=len(ids))
    )
    order, _ = nearest(matrix[keep], vector, k=len(keep))
    return keep[order]


def _fuse(rows: Sequence[Any], limit: int) -> list[SearchHit]:
    rankings: dict[str, list[uuid.UUID]] = {"semantic": [], "keyword": []}
    ranks: dict[tuple[str, uuid.UUID], int] = {}
    details: dict[uuid.UUID, tuple[str, str, str]] = {}
    for ranker, course_id, rank, *detail in sorted(rows, key=lambda row: (row[0], row[2])):
        rankings[ranker].append(course_id)
        ranks[(ranker, course_id)] = int(rank)
        details[course_id] = (detail[0], detail[1], detail[2])
    fused = reciprocal_rank_fusion(
        [rankings["semantic"], rankings["keyword"]], weights=[SEMANTIC_WEIGHT, KEYWORD_WEIGHT]
    )[:limit]
    return [
        SearchHit(
            course_id=course_id,
            title=details[course_id][0],
            subject=details[course_id][1],
            level=details[course_id][2],
            score=round(score, 6),
            semantic_rank=ranks.get(("semantic", course_id)),
            keyword_rank=ranks.get(("keyword", course_id)),
        )
        for course_id, score in fused
    ]
