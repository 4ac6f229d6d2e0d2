"""question bank, attempt answers, diagnostic estimates and learning goals

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

``questions`` is a course's question bank: each question has a type, a skill and IRT parameters
(difficulty ``b``, discrimination ``a``). The answer key lives in its own column (``answer_key``), apart
from what a learner is shown (``prompt``, ``options``), so that nothing that serialises a question for a
learner can carry it by accident. ``assessment_questions`` orders a fixed assessment's questions (and is the
item pool of an adaptive one). ``attempt_items`` holds the questions an attempt served, in order, with the
learner's response and its server-side grade. ``attempt_skill_estimates`` keeps an attempt's final ability
estimate per skill (theta, its standard error, and the 1-10 level written to the learner's profile).

``assessments`` and ``assessment_attempts`` gain authoring and limit columns; every new NOT NULL column has
a default (assessments default to ``published``, as imported ones are), so the importers keep working.

``learning_goals`` / ``learning_goal_skills``: a learner's target levels per skill, a deadline and the hours
a week they can spend.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUESTION_TYPES = "'single_choice', 'multiple_choice', 'numeric', 'short_text'"


def _uuid_fk(name: str, target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, UUID(as_uuid=True), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _version() -> sa.Column:
    return sa.Column("version", sa.Integer, nullable=False, server_default="1")


def _assessment_columns() -> None:
    op.add_column("assessments", sa.Column("description", sa.Text))
    op.add_column("assessments", sa.Column("status", sa.Text, nullable=False, server_default="published"))
    op.add_column("assessments", sa.Column("selection", sa.Text, nullable=False, server_default="fixed"))
    op.add_column("assessments", sa.Column("time_limit_s", sa.Integer))
    op.add_column("assessments", sa.Column("max_attempts", sa.Integer))
    op.add_column("assessments", sa.Column("pass_threshold", sa.Float))
    op.add_column("assessments", sa.Column("target_standard_error", sa.Float))
    op.add_column("assessments", sa.Column("max_questions", sa.Integer))
    op.add_column(
        "assessments", sa.Column("reveal_answers", sa.Boolean, nullable=False, server_default=sa.true())
    )
    op.add_column("assessments", _uuid_fk("created_by", "users.user_id", nullable=True, ondelete="SET NULL"))
    op.add_column("assessments", _version())
    op.add_column("assessments", _timestamp("updated_at"))
    for name, condition in (
        ("status", "status in ('draft', 'published', 'archived')"),
        ("selection", "selection in ('fixed', 'adaptive')"),
        ("time_limit_s", "time_limit_s is null or time_limit_s > 0"),
        ("max_attempts", "max_attempts is null or max_attempts > 0"),
        ("pass_threshold", "pass_threshold is null or pass_threshold between 0 and 1"),
        ("target_standard_error", "target_standard_error is null or target_standard_error > 0"),
        ("max_questions", "max_questions is null or max_questions > 0"),
    ):
        op.create_check_constraint(name, "assessments", condition)
    op.create_index("ix_assessments_course_id_created_at", "assessments", ["course_id", "created_at"])

    op.add_column("assessment_attempts", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.add_column(
        "assessment_attempts",
        sa.Column("submitted_late", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "assessment_attempts", sa.Column("adaptive", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.add_column("assessment_attempts", sa.Column("success", sa.Boolean))
    op.create_index(
        "ix_assessment_attempts_assessment_id_started_at",
        "assessment_attempts",
        ["assessment_id", "started_at"],
    )


def upgrade() -> None:
    _assessment_columns()
    op.create_table(
        "questions",
        sa.Column("question_id", UUID(as_uuid=True), primary_key=True),
        _uuid_fk("course_id", "courses.course_id"),
        # A skill in use by questions cannot be deleted out from under them.
        _uuid_fk("skill_id", "skills.skill_id", ondelete="RESTRICT"),
        sa.Column("question_type", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("options", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("answer_key", JSONB, nullable=False),
        sa.Column("difficulty", sa.Float, nullable=False, server_default="0"),
        sa.Column("discrimination", sa.Float, nullable=False, server_default="1"),
        sa.Column("external_id", sa.Text),
        _uuid_fk("created_by", "users.user_id", nullable=True, ondelete="SET NULL"),
        _version(),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.UniqueConstraint("external_id", name="uq_questions_external_id"),
        sa.CheckConstraint(f"question_type in ({QUESTION_TYPES})", name="question_type"),
        sa.CheckConstraint("difficulty between -6 and 6", name="difficulty"),
        sa.CheckConstraint("discrimination > 0 and discrimination <= 4", name="discrimination"),
    )
    op.create_index("ix_questions_course_id_created_at", "questions", ["course_id", "created_at"])
    op.create_index("ix_questions_skill_id", "questions", ["skill_id"])

    op.create_table(
        "assessment_questions",
        _uuid_fk("assessment_id", "assessments.assessment_id"),
        _uuid_fk("question_id", "questions.question_id"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("assessment_id", "question_id", name="pk_assessment_questions"),
        sa.UniqueConstraint("assessment_id", "position", name="uq_assessment_questions_assessment_id"),
    )
    op.create_index("ix_assessment_questions_question_id", "assessment_questions", ["question_id"])

    op.create_table(
        "attempt_items",
        _uuid_fk("attempt_id", "assessment_attempts.attempt_id"),
        # Answered history keeps its questions: a question that was served cannot be deleted.
        _uuid_fk("question_id", "questions.question_id", ondelete="RESTRICT"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", JSONB),
        sa.Column("is_correct", sa.Boolean),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("attempt_id", "question_id", name="pk_attempt_items"),
        sa.UniqueConstraint("attempt_id", "position", name="uq_attempt_items_attempt_id"),
        sa.CheckConstraint(
            "(response is null) = (answered_at is null) and (response is null) = (is_correct is null)",
            name="answered_together",
        ),
    )
    op.create_index("ix_attempt_items_question_id", "attempt_items", ["question_id"])

    op.create_table(
        "attempt_skill_estimates",
        _uuid_fk("attempt_id", "assessment_attempts.attempt_id"),
        _uuid_fk("skill_id", "skills.skill_id", ondelete="RESTRICT"),
        sa.Column("theta", sa.Float, nullable=False),
        sa.Column("standard_error", sa.Float, nullable=False),
        sa.Column("level", sa.Float, nullable=False),
        sa.Column("level_standard_error", sa.Float, nullable=False),
        sa.Column("answered", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", "skill_id", name="pk_attempt_skill_estimates"),
        sa.CheckConstraint("level between 1 and 10", name="level"),
        sa.CheckConstraint("standard_error >= 0 and level_standard_error >= 0", name="standard_error"),
    )

    op.create_table(
        "learning_goals",
        sa.Column("goal_id", UUID(as_uuid=True), primary_key=True),
        _uuid_fk("user_id", "users.user_id"),
        sa.Column("title", sa.Text),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("hours_per_week", sa.Float, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("hours_per_week > 0 and hours_per_week <= 168", name="hours_per_week"),
        sa.CheckConstraint("status in ('active', 'achieved', 'abandoned')", name="status"),
    )
    op.create_index("ix_learning_goals_user_id_created_at", "learning_goals", ["user_id", "created_at"])
    op.create_table(
        "learning_goal_skills",
        _uuid_fk("goal_id", "learning_goals.goal_id"),
        # Like learner levels, goals keep their skills: the catalogue refuses to delete a skill in use (409).
        _uuid_fk("skill_id", "skills.skill_id", ondelete="RESTRICT"),
        sa.Column("target_level", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("goal_id", "skill_id", name="pk_learning_goal_skills"),
        sa.CheckConstraint("target_level between 1 and 10", name="target_level"),
    )


def downgrade() -> None:
    op.drop_table("learning_goal_skills")
    op.drop_index("ix_learning_goals_user_id_created_at", "learning_goals")
    op.drop_table("learning_goals")
    op.drop_table("attempt_skill_estimates")
    op.drop_index("ix_attempt_items_question_id", "attempt_items")
    op.drop_table("attempt_items")
    op.drop_index("ix_assessment_questions_question_id", "assessment_questions")
    op.drop_table("assessment_questions")
    op.drop_index("ix_questions_skill_id", "questions")
    op.drop_index("ix_questions_course_id_created_at", "questions")
    op.drop_table("questions")

    op.drop_index("ix_assessment_attempts_assessment_id_started_at", "assessment_attempts")
    for column in ("success", "adaptive", "submitted_late", "expires_at"):
        op.drop_column("assessment_attempts", column)
    op.drop_index("ix_assessments_course_id_created_at", "assessments")
    for column in (
        "updated_at", "version", "created_by", "reveal_answers", "max_questions", "target_standard_error",
        "pass_threshold", "max_attempts", "time_limit_s", "selection", "status", "description",
    ):  # fmt: skip
        op.drop_column("assessments", column)
