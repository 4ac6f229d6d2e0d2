"""learning-path snapshots: every generated or adjusted path of a goal, versioned

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

A path is never edited in place: generating it again, or the weekly adjustment, adds the goal's next
version, so the history says what changed and why. ``plan`` holds the steps (with their reasons), the
week-by-week timeline and the gaps no course closes; ``review`` holds the weekly adjustment's reading of
progress, trend and engagement (null for a generated path); ``changes`` the adjustment's reasons.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learning_path_snapshots",
        sa.Column("snapshot_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "goal_id",
            UUID(as_uuid=True),
            sa.ForeignKey("learning_goals.goal_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("hours_per_week", sa.Float, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("estimated_finish", sa.Date, nullable=False),
        sa.Column("feasible", sa.Boolean, nullable=False),
        sa.Column("plan", JSONB, nullable=False),
        sa.Column("review", JSONB),
        sa.Column("changes", JSONB, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("goal_id", "version", name="uq_learning_path_snapshots_goal_id_version"),
        sa.CheckConstraint(
            "trigger in ('generated', 'weekly_adjustment')", name="ck_learning_path_snapshots_trigger"
        ),
    )
    op.create_index("ix_learning_path_snapshots_user_id", "learning_path_snapshots", ["user_id"])


def downgrade() -> None:
    op.drop_table("learning_path_snapshots")
