"""Course embeddings for semantic search, re-made for the courses whose page text changed."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

import psycopg
from dagster import AssetExecutionContext, MaterializeResult, asset, define_asset_job

from models.search import SentenceEncoder
from pipelines.defs.resources import PostgresResource
from pipelines.defs.search.embeddings import refresh_course_embeddings
from skillstudio.db import libpq_url

GROUP = "search"
# One encoder per process: the model loads once however many runs this process executes.
ENCODER = SentenceEncoder(query_threads=None)


@asset(group_name=GROUP, compute_kind="sentence-transformers")
def course_embeddings(context: AssetExecutionContext, postgres: PostgresResource) -> MaterializeResult:
    """Encode new and changed courses (title, subject, level, description) into ``course_embeddings``."""
    with psycopg.connect(libpq_url(postgres.url)) as conn:
        refresh = refresh_course_embeddings(conn, ENCODER, progress=context.log.debug)
    context.log.info(
        "%s of %s courses encoded (%s unchanged), stored as %s",
        refresh.encoded,
        refresh.courses,
        refresh.unchanged,
        refresh.column_type,
    )
    return MaterializeResult(
        metadata={
            "encoded": refresh.encoded,
            "unchanged": refresh.unchanged,
            "courses": refresh.courses,
            "column_type": refresh.column_type,
            "model": ENCODER.name,
        }
    )


embed_courses = define_asset_job("embed_courses", selection=[course_embeddings])
