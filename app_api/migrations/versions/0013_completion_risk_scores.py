"""completion risk scores: the daily scoring's latest answer per open enrollment

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

The pipeline's daily scoring (``pipelines.defs.risk``) writes one row per enrollment still open, replacing
the previous day's and deleting the rows of enrollments that are no longer open; the learning API serves
them (``app_api.risk``). ``high_since`` is when the enrollment last entered the high band (null outside
it) and ``notified_at`` when its learner was last told: together they say who crossed into the high band
and has not been told yet, and keep the telling to once a week per enrollment.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "completion_risk_scores",
        sa.Column(
            "enrollment_id",
            UUID(as_uuid=True),
            sa.ForeignKey("enrollments.enrollment_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "course_id",
            UUID(as_uuid=True),
            sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("day_k", sa.Integer, nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("risk", sa.Float, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("high_since", sa.DateTime(timezone=True)),
        sa.Column("notified_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("band in ('low', 'medium', 'high')", name="ck_completion_risk_scores_band"),
        sa.CheckConstraint("probability between 0 and 1", name="ck_completion_risk_scores_probability"),
    )
    # A course's at-risk list: riskiest first, one keyset page at a time.
    op.create_index(
        "ix_completion_risk_scores_course_risk",
        "completion_risk_scores",
        ["course_id", sa.text("risk desc"), sa.text("enrollment_id desc")],
    )
    # The interventions look only at the few rows in the high band.
    op.create_index(
        "ix_completion_risk_scores_high",
        "completion_risk_scores",
        ["high_since"],
        postgresql_where=sa.text("band = 'high'"),
    )


def downgrade() -> None:
    op.drop_table("completion_risk_scores")
