"""course embeddings for semantic search, in pgvector where the server has it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

``course_embeddings`` holds one sentence embedding per course (384 floats from all-MiniLM-L6-v2), the
name of the model that made it and a hash of the text it was made from, so the embedding asset re-encodes
only courses whose page text changed. The ``vector`` extension is created when the server offers it (the
embedded pgserver does) and the column is then ``vector(384)``, searched exactly with ``<=>`` in SQL;
elsewhere the column is ``real[]`` and the serving layer searches it exactly in numpy. No approximate
index: at catalogue sizes (10^4) an exact scan is fast enough and never misses a course.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = 384


def _create_vector_extension() -> bool:
    """True when ``vector`` is (now) installed; a server without it, or a role that may not create it,
    leaves the schema on the ``real[]`` fallback instead of failing the migration."""
    bind = op.get_bind()
    if bind.scalar(sa.text("select count(*) from pg_extension where extname = 'vector'")):
        return True
    if not bind.scalar(sa.text("select count(*) from pg_available_extensions where name = 'vector'")):
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("create extension if not exists vector"))
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade() -> None:
    column_type = f"vector({DIMENSIONS})" if _create_vector_extension() else "real[]"
    op.create_table(
        "course_embeddings",
        sa.Column(
            "course_id",
            UUID(as_uuid=True),
            sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.execute(f"alter table course_embeddings add column embedding {column_type} not null")


def downgrade() -> None:
    op.drop_table("course_embeddings")
    op.execute("drop extension if exists vector")
