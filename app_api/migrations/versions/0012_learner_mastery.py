"""learner mastery per skill, the serialized per-learner state, and 'mastery' as a profile level source

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

``learner_skill_mastery`` is what the mastery route answers: one row per learner × skill, rewritten by
every answer on the skill (and seeded by a diagnostic). ``learner_mastery_states`` holds the updater's
state for a learner as opaque bytes with the updater that wrote it (``model_version``): an updater that
finds another version's state starts from the rows instead of misreading it. Struggling episodes
(issue 11 point 7) live in ``learner_skill_mastery`` too (``struggling_since``), so the next quiz can
step down in one lookup. Profile levels take the source ``mastery`` (a measurement, like diagnostic).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SOURCES_BEFORE = "source in ('self', 'diagnostic', 'import', 'admin')"
_SOURCES_AFTER = "source in ('self', 'diagnostic', 'import', 'admin', 'mastery')"


def _user() -> sa.Column:
    return sa.Column(
        "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )


def upgrade() -> None:
    op.create_table(
        "learner_skill_mastery",
        _user(),
        sa.Column(
            "skill_id",
            UUID(as_uuid=True),
            sa.ForeignKey("skills.skill_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("p_mastery", sa.Float, nullable=False),
        sa.Column("level", sa.Float, nullable=False),
        sa.Column("uncertainty", sa.Float, nullable=False),
        sa.Column("answers_seen", sa.Integer, nullable=False),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("recent", sa.Text, nullable=False, server_default=""),
        sa.Column("struggling_since", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("p_mastery between 0 and 1", name="p_mastery"),
        sa.CheckConstraint("level between 1 and 10", name="level"),
        sa.CheckConstraint("uncertainty >= 0", name="uncertainty"),
        sa.CheckConstraint("answers_seen >= 0", name="answers_seen"),
    )
    op.create_table(
        "learner_mastery_states",
        _user(),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.drop_constraint(op.f("ck_learner_skill_levels_source"), "learner_skill_levels", type_="check")
    op.create_check_constraint("source", "learner_skill_levels", _SOURCES_AFTER)


def downgrade() -> None:
    op.execute("delete from learner_skill_levels where source = 'mastery'")
    op.drop_constraint(op.f("ck_learner_skill_levels_source"), "learner_skill_levels", type_="check")
    op.create_check_constraint("source", "learner_skill_levels", _SOURCES_BEFORE)
    op.drop_table("learner_mastery_states")
    op.drop_table("learner_skill_mastery")
