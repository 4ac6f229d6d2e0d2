"""Keep ``course_embeddings`` in step with the courses: encode new and changed courses, nothing else.

Shared by the ``course_embeddings`` asset and ``skillstudio models evaluate search`` (the evaluation
indexes its scratch catalogue through exactly this code). Every course is embedded, drafts included, so a
course is searchable by meaning the moment it is published; the search filters by status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import psycopg

from models.search import CourseText, SentenceEncoder, content_hash, course_document

BATCH = 256


@dataclass(frozen=True)
class EmbeddingRefresh:
    encoded: int
    unchanged: int
    courses: int
    column_type: str


def column_type(conn: psycopg.Connection) -> str:
    """``vector(384)`` where the migration found pgvector, else ``real[]``."""
    row = conn.execute(
        "select format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = 'course_embeddings'::regclass and attname = 'embedding'"
    ).fetchone()
    assert row is not None, "course_embeddings has no embedding column: run the migrations"
    return str(row[0])


def _literal(vector: np.ndarray, pgvector: bool) -> str | list[float]:
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]" if pgvector else vector.tolist()


def refresh_course_embeddings(
    conn: psycopg.Connection, encoder: SentenceEncoder, *, progress: Callable[[str], None] | None = None
) -> EmbeddingRefresh:
    """Encode the courses whose page text (or the model) changed since their embedding was made.

    Writes in the caller's transaction; the caller commits.
    """
    rows = conn.execute(
        "select c.course_id, c.title, c.subject, c.level, c.description, e.content_hash "
        "from courses c left join course_embeddings e on e.course_id = c.course_id order by c.course_id"
    ).fetchall()
    stale: list[tuple[object, str, str]] = []
    for course_id, title, subject, level, description, stored_hash in rows:
        document = course_document(CourseText(title, subject, level, description))
        digest = content_hash(document, encoder.name)
        if digest != stored_hash:
            stale.append((course_id, document, digest))
    kind = column_type(conn)
    pgvector = kind.startswith("vector")
    cast = "vector" if pgvector else "real[]"
    for start in range(0, len(stale), BATCH):
        batch = stale[start : start + BATCH]
        vectors = encoder.encode_documents([document for _, document, _ in batch])
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into course_embeddings (course_id, model, content_hash, embedding) "
                f"values (%s, %s, %s, %s::{cast}) on conflict (course_id) do update set "
                "model = excluded.model, content_hash = excluded.content_hash, "
                "embedding = excluded.embedding, updated_at = now()",
                [
                    (course_id, encoder.name, digest, _literal(vector, pgvector))
                    for (course_id, _, digest), vector in zip(batch, vectors, strict=True)
                ],
            )
        if progress is not None:
            progress(f"embedded {min(start + BATCH, len(stale))}/{len(stale)} courses")
    return EmbeddingRefresh(
        encoded=len(stale), unchanged=len(rows) - len(stale), courses=len(rows), column_type=kind
    )
