"""notifications, per-kind notification preferences and the email outbox

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

``notifications`` holds what a user is told in-app; a producer that must not repeat itself passes a
``dedupe_key``, unique per user and kind (a partial index: notifications without a key never collide).
``notification_preferences`` stores only what a user changed; a missing row means the kind's default.
``email_outbox`` is written in the producer's transaction and drained by a worker, so sending never
blocks a request; a failed send stays ``queued`` with its attempts, last error and next attempt time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _user() -> sa.Column:
    return sa.Column(
        "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("notification_id", UUID(as_uuid=True), primary_key=True),
        _user(),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.Text),
        sa.Column("data", JSONB),
        sa.Column("dedupe_key", sa.Text),
        _now("created_at"),
        sa.Column("read_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "uq_notifications_dedupe",
        "notifications",
        ["user_id", "kind", "dedupe_key"],
        unique=True,
        postgresql_where=sa.text("dedupe_key is not null"),
    )
    # The inbox reads a user's newest first (optionally unread only).
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at", "notification_id"]
    )
    op.create_table(
        "notification_preferences",
        _user(),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("in_app", sa.Boolean, nullable=False),
        sa.Column("email", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind"),
    )
    op.create_table(
        "email_outbox",
        sa.Column("email_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "notification_id",
            UUID(as_uuid=True),
            sa.ForeignKey("notifications.notification_id", ondelete="SET NULL"),
        ),
        sa.Column("to_address", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        _now("next_attempt_at"),
        sa.Column("last_error", sa.Text),
        _now("created_at"),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status in ('queued', 'sent', 'failed')", name="status"),
    )
    # The worker's claim: due queued rows only.
    op.create_index(
        "ix_email_outbox_due",
        "email_outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'queued'"),
    )


def downgrade() -> None:
    op.drop_table("email_outbox")
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
