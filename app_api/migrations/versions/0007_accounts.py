"""accounts: per-skill levels (more account tables follow in this revision)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learner_skill_levels",
        sa.Column(
            "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "skill_id",
            UUID(as_uuid=True),
            sa.ForeignKey("skills.skill_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("level", sa.Float, nullable=False),
        sa.Column("standard_error", sa.Float),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "skill_id", name="pk_learner_skill_levels"),
        sa.CheckConstraint("level between 1 and 10", name="level"),
        sa.CheckConstraint("standard_error is null or standard_error >= 0", name="standard_error"),
        sa.CheckConstraint("source in ('self', 'diagnostic', 'import', 'admin')", name="source"),
    )


def downgrade() -> None:
    op.drop_table("learner_skill_levels")
