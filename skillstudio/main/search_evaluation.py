"""``skillstudio models evaluate search``: the search protocol (``models.search.evaluate``) run for real.

The catalogue goes into a scratch database on the configured server (migrated like any other, dropped at
the end) with the hidden fields left out, is embedded by the embedding asset's own code, and is searched
by the route's own code: the figures are those of what learners get, not of a re-implementation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app_api.migrate import upgrade
from models.search.evaluate import CatalogCourse, Protocol, build_protocol, dev_queries, evaluate_split
from pipelines.defs.search.assets import ENCODER
from pipelines.defs.search.embeddings import refresh_course_embeddings
from serving.search.engine import VectorIndex, hybrid_search, keyword_search
from skillstudio.db import libpq_url
from skillstudio.sources.catalog import parse_catalog

DEPTH = 10  # every ranker is judged on its first ten


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, migrated database on the server of ``server_url``, dropped afterwards whatever happens."""
    name = f"skillstudio_search_eval_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(make_url(server_url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        create_engine(url).dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def read_catalog(path: Path) -> tuple[list[CatalogCourse], list[str]]:
    rows, errors = parse_catalog(path)
    courses = [
        CatalogCourse(
            external_id=row.external_id, title=row.title, description=row.description,
            subject=row.subject, level=row.level, skills=row.skills,
        )
        for row in rows
    ]  # fmt: skip
    return courses, errors


def _load(conn: psycopg.Connection, protocol: Protocol) -> None:
    """Published courses holding only what the index may see (a hidden subject is stored empty)."""
    with conn.cursor().copy(
        "copy courses (course_id, external_id, title, subject, level, description, status) from stdin"
    ) as copy:
        for external_id, document in protocol.documents.items():
            # Ids derived from the file, so ties (broken by id) fall the same way in every run.
            course_id = uuid.uuid5(uuid.NAMESPACE_URL, f"skillstudio:search-eval:{external_id}")
            copy.write_row((
                course_id, external_id, document.title, document.subject or "", document.level or "",
                document.description, "published",
            ))  # fmt: skip


def evaluate_search_catalog(
    path: Path, *, server_url: str, progress: Callable[[str], None]
) -> dict[str, Any]:
    """The evaluation's one JSON object for the catalogue file at ``path``."""
    courses, errors = read_catalog(path)
    if errors:
        progress(f"{len(errors)} rows rejected, e.g. {errors[0]}")
    protocol = build_protocol(courses)
    progress(
        f"{len(courses)} courses, {len(protocol.queries)} queries; hidden from the index: "
        f"{', '.join(protocol.hidden)}"
    )
    encoder = ENCODER  # the asset's: the same model, loaded once per process
    with scratch_database(server_url) as url:
        with psycopg.connect(libpq_url(url)) as conn:
            _load(conn, protocol)
            refresh_course_embeddings(conn, encoder, progress=progress)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text("select course_id, external_id from courses")).all()
                external: dict[uuid.UUID, str] = {row[0]: row[1] for row in rows}
                index = VectorIndex()

                def hybrid(query: str) -> list[str]:
                    hits = hybrid_search(connection, encoder=encoder, index=index, query=query, limit=DEPTH)
                    return [external[hit.course_id] for hit in hits]

                def semantic(query: str) -> list[str]:
                    hits = hybrid_search(
                        connection, encoder=encoder, index=index, query=query, limit=DEPTH, keyword=False
                    )
                    return [external[hit.course_id] for hit in hits]

                def keyword(query: str) -> list[str]:
                    return [
                        external[hit.course_id]
                        for hit in keyword_search(connection, query=query, limit=DEPTH)
                    ]

                split = evaluate_split(
                    protocol.queries,
                    {"hybrid": hybrid, "keyword": keyword, "semantic": semantic},
                    progress=progress,
                )
        finally:
            engine.dispose()
    metrics = split["all"]
    dev = dev_queries(len(protocol.queries))
    return {
        "p_at_10": metrics["hybrid"]["p_at_10"],
        "ndcg_at_10": metrics["hybrid"]["ndcg_at_10"],
        "keyword_p_at_10": metrics["keyword"]["p_at_10"],
        "keyword_ndcg_at_10": metrics["keyword"]["ndcg_at_10"],
        "semantic_p_at_10": metrics["semantic"]["p_at_10"],
        "semantic_ndcg_at_10": metrics["semantic"]["ndcg_at_10"],
        "n_queries": len(protocol.queries),
        "n_courses": len(courses),
        "queries_from": "subject" if "subject" in protocol.hidden else "skills",
        "hidden": list(protocol.hidden),
        "model": encoder.name,
        # The fixed split the search's constants were chosen on (dev) and checked on (held out).
        **{
            part: {
                "p_at_10": split[part]["hybrid"]["p_at_10"],
                "ndcg_at_10": split[part]["hybrid"]["ndcg_at_10"],
                "keyword_p_at_10": split[part]["keyword"]["p_at_10"],
                "keyword_ndcg_at_10": split[part]["keyword"]["ndcg_at_10"],
                "n_queries": len(dev) if part == "dev" else len(protocol.queries) - len(dev),
            }
            for part in ("dev", "held_out")
        },
    }
