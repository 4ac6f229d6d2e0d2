"""catalogue (skills, prerequisites, course runs, external ids), assessments with attempts, learner profiles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Imported data (OULAD, catalogues) and the learning API share these tables: external ids make imports
idempotent, course runs hold cohorts (one course taught in several presentations), and a learner may take
the same course again in another run.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uuid_fk(name: str, target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(name, UUID(as_uuid=True), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.alter_column("users", "email", nullable=True)
    op.add_column("users", sa.Column("external_id", sa.Text))
    op.create_unique_constraint("uq_users_external_id", "users", ["external_id"])

    op.create_table(
        "skills",
        sa.Column("skill_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        _uuid_fk("parent_skill_id", "skills.skill_id", nullable=True, ondelete="SET NULL"),
        _created_at(),
        sa.UniqueConstraint("slug", name="uq_skills_slug"),
    )

    op.add_column("courses", sa.Column("external_id", sa.Text))
    op.add_column("courses", sa.Column("description", sa.Text))
    op.add_column("courses", sa.Column("provider", sa.Text))
    op.add_column(
        "courses",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_unique_constraint("uq_courses_external_id", "courses", ["external_id"])
    op.create_table(
        "course_skills",
        _uuid_fk("course_id", "courses.course_id"),
        _uuid_fk("skill_id", "skills.skill_id"),
        sa.PrimaryKeyConstraint("course_id", "skill_id", name="pk_course_skills"),
    )
    op.create_table(
        "course_prerequisites",
        _uuid_fk("course_id", "courses.course_id"),
        _uuid_fk("prerequisite_course_id", "courses.course_id"),
        sa.PrimaryKeyConstraint("course_id", "prerequisite_course_id", name="pk_course_prerequisites"),
        sa.CheckConstraint("course_id <> prerequisite_course_id", name="not_self"),
    )
    op.create_table(
        "course_runs",
        sa.Column("course_run_id", UUID(as_uuid=True), primary_key=True),
        _uuid_fk("course_id", "courses.course_id"),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("length_days", sa.Integer),
        _created_at(),
        sa.UniqueConstraint("course_id", "code", name="uq_course_runs_course_id_code"),
    )

    op.add_column("lessons", sa.Column("external_id", sa.Text))
    op.add_column("lessons", sa.Column("activity_type", sa.Text))
    op.create_unique_constraint("uq_lessons_external_id", "lessons", ["external_id"])

    op.add_column("enrollments", _uuid_fk("course_run_id", "course_runs.course_run_id", nullable=True))
    op.add_column("enrollments", sa.Column("outcome", sa.Text))
    op.add_column("enrollments", sa.Column("unregistered_at", sa.DateTime(timezone=True)))
    op.create_check_constraint(
        "outcome", "enrollments", "outcome is null or outcome in ('pass', 'distinction', 'fail', 'withdrawn')"
    )
    # A learner may take a course again in a later run; once per run.
    op.drop_constraint("uq_enrollments_user_id_course_id", "enrollments", type_="unique")
    op.execute(
        "alter table enrollments add constraint uq_enrollments_user_id_course_id_course_run_id "
        "unique nulls not distinct (user_id, course_id, course_run_id)"
    )

    op.create_table(
        "assessments",
        sa.Column("assessment_id", UUID(as_uuid=True), primary_key=True),
        _uuid_fk("course_id", "courses.course_id"),
        _uuid_fk("course_run_id", "course_runs.course_run_id", nullable=True),
        sa.Column("external_id", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("assessment_type", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("weight", sa.Float),
        _created_at(),
        sa.UniqueConstraint("external_id", name="uq_assessments_external_id"),
        sa.CheckConstraint(
            "assessment_type in ('quiz', 'diagnostic', 'tma', 'cma', 'exam')", name="assessment_type"
        ),
    )
    op.create_table(
        "assessment_attempts",
        sa.Column("attempt_id", UUID(as_uuid=True), primary_key=True),
        _uuid_fk("assessment_id", "assessments.assessment_id"),
        _uuid_fk("user_id", "users.user_id"),
        _uuid_fk("enrollment_id", "enrollments.enrollment_id", nullable=True, ondelete="SET NULL"),
        sa.Column("attempt_number", sa.Integer, nullable=False, server_default="1"),
        sa.Column("status", sa.Text, nullable=False, server_default="in_progress"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("score_scaled", sa.Float),
        sa.Column("is_banked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint(
            "assessment_id", "user_id", "attempt_number", name="uq_assessment_attempts_assessment_id_user_id"
        ),
        sa.CheckConstraint("status in ('in_progress', 'submitted', 'graded')", name="status"),
        sa.CheckConstraint("score_scaled is null or score_scaled between 0 and 1", name="score_scaled"),
    )
    op.create_index("ix_assessment_attempts_user_id", "assessment_attempts", ["user_id"])

    op.create_table(
        "learner_profiles",
        _uuid_fk("user_id", "users.user_id"),
        sa.Column("attributes", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("preferences", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_learner_profiles"),
    )


def downgrade() -> None:
    op.drop_table("learner_profiles")
    op.drop_index("ix_assessment_attempts_user_id", "assessment_attempts")
    op.drop_table("assessment_attempts")
    op.drop_table("assessments")
    op.drop_constraint("uq_enrollments_user_id_course_id_course_run_id", "enrollments", type_="unique")
    op.create_unique_constraint("uq_enrollments_user_id_course_id", "enrollments", ["user_id", "course_id"])
    op.drop_constraint(op.f("ck_enrollments_outcome"), "enrollments", type_="check")
    for column in ("unregistered_at", "outcome", "course_run_id"):
        op.drop_column("enrollments", column)
    op.drop_constraint("uq_lessons_external_id", "lessons", type_="unique")
    op.drop_column("lessons", "activity_type")
    op.drop_column("lessons", "external_id")
    op.drop_table("course_runs")
    op.drop_table("course_prerequisites")
    op.drop_table("course_skills")
    op.drop_constraint("uq_courses_external_id", "courses", type_="unique")
    for column in ("updated_at", "provider", "description", "external_id"):
        op.drop_column("courses", column)
    op.drop_table("skills")
    op.drop_constraint("uq_users_external_id", "users", type_="unique")
    op.drop_column("users", "external_id")
    op.execute("delete from users where email is null")
    op.alter_column("users", "email", nullable=False)
