"""event quarantine: malformed statements kept with their raw payload and reason

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

``event_quarantine`` holds every statement that failed validation, exactly as it was sent (``payload``;
a batch item that is not even a JSON object is wrapped as ``{"value": ...}`` and ``payload_wrapped`` says
so), with the field-level reasons, when it came and its position in the batch. Resubmitting it after a fix
stores the event and marks the row resolved; the row itself is kept for audit.

``learner_events`` gains the xAPI fields that had no column: the raw/min/max score, the result's
extensions, and the context activities when they say more than the course and module columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Appended at the end of learner_events, in EVENT_COLUMNS order (skillstudio/events/contract.py).
NEW_EVENT_COLUMNS = (
    ("score_raw", "double precision"),
    ("score_min", "double precision"),
    ("score_max", "double precision"),
    ("result_extensions", "jsonb"),
    ("context_activities", "jsonb"),
)


def upgrade() -> None:
    # Added on the partitioned parent, the columns reach every partition, the default one included.
    for name, sql_type in NEW_EVENT_COLUMNS:
        op.execute(f"alter table learner_events add column {name} {sql_type}")
    op.create_table(
        "event_quarantine",
        sa.Column("quarantine_id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_index", sa.Integer, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("payload_wrapped", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("event_id", UUID(as_uuid=True)),
        sa.Column("corrected_payload", JSONB),
        sa.CheckConstraint("(resolved_at is null) = (event_id is null)", name="resolved_with_event"),
        sa.CheckConstraint("batch_index >= 0", name="batch_index"),
    )
    op.create_index(
        "ix_event_quarantine_unresolved",
        "event_quarantine",
        ["quarantine_id"],
        postgresql_where=sa.text("resolved_at is null"),
    )


def downgrade() -> None:
    op.drop_index("ix_event_quarantine_unresolved", "event_quarantine")
    op.drop_table("event_quarantine")
    for name, _ in reversed(NEW_EVENT_COLUMNS):
        op.execute(f"alter table learner_events drop column {name}")
