"""event archive manifest (lake) and erasure log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

``learner_event_archive`` says which months live in the lake, where, and what the file must contain (row
count and an order-independent checksum of its data). A partition is dropped only in the transaction that
records its month here, so the manifest and the database never disagree about where a month's events are.
``pending_row_count`` / ``pending_checksum`` describe a replacement file while it is being put in place
(a merge of late events, or an erasure): whichever of the two the file matches is what it holds.

``learner_erasures`` records each erasure without the learner's old id: ``reference`` is a SHA-256 of it,
enough to recognise a repeated request and nothing more. ``pending_pseudonym`` exists only while the lake
is still being rewritten (so that an interrupted erasure resumes with the same pseudonym) and is cleared
when the erasure completes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_event_archive",
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("checksum", sa.Text, nullable=False),
        sa.Column("file_bytes", sa.BigInteger, nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("rewritten_at", sa.DateTime(timezone=True)),
        sa.Column("pending_row_count", sa.BigInteger),
        sa.Column("pending_checksum", sa.Text),
        sa.CheckConstraint("month = date_trunc('month', month)::date", name="first_of_month"),
        sa.CheckConstraint("row_count >= 0", name="row_count"),
    )
    op.create_table(
        "learner_erasures",
        sa.Column("erasure_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("external_reference", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("pending_pseudonym", UUID(as_uuid=True)),
        sa.Column("live_events", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("lake_events", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("lake_files", sa.Integer, nullable=False, server_default="0"),
        sa.Column("linked_rows", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("profile_fields", sa.Integer, nullable=False, server_default="0"),
        sa.Column("quarantined_statements", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("reference", name="uq_learner_erasures_reference"),
        sa.CheckConstraint("status in ('lake_pending', 'complete')", name="status"),
        sa.CheckConstraint(
            "(status = 'lake_pending') = (pending_pseudonym is not null)", name="pseudonym_only_while_pending"
        ),
    )
    op.create_index("ix_learner_erasures_external_reference", "learner_erasures", ["external_reference"])


def downgrade() -> None:
    op.drop_index("ix_learner_erasures_external_reference", "learner_erasures")
    op.drop_table("learner_erasures")
    op.drop_table("learner_event_archive")
