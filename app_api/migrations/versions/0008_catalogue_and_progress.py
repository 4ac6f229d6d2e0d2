"""catalogue authoring (modules, lesson details, difficulty) and lesson progress

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

Courses gain an owning instructor (null for imported and generated courses: only admins edit those), a
``version`` that backs the ETag of optimistic concurrency, ``published_at``, and a generated full-text
``search_vector`` (title weighted above subject and description; PostgreSQL's built-in text search, since
the embedded server has no pg_trgm). Modules group a course's lessons; lessons gain authoring fields and
``is_required`` (a course is complete when every required lesson is). Skills gain a version too.
``lesson_progress`` holds one row per enrollment and lesson: started, percent (monotonic), time spent
(accumulated), completed. Every new NOT NULL column has a default, so the bulk writers keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(subject, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C')"
)


def _version() -> sa.Column:
    return sa.Column("version", sa.Integer, nullable=False, server_default="1")


def _updated_at() -> sa.Column:
    return sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.add_column(
        "courses",
        sa.Column("instructor_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="SET NULL")),
    )
    op.add_column("courses", _version())
    op.add_column("courses", sa.Column("published_at", sa.DateTime(timezone=True)))
    op.execute(
        f"alter table courses add column search_vector tsvector generated always as ({SEARCH_VECTOR}) stored"
    )
    op.create_index("ix_courses_search_vector", "courses", ["search_vector"], postgresql_using="gin")
    op.create_index("ix_courses_instructor_id", "courses", ["instructor_id"])
    op.create_index("ix_courses_status_created_at", "courses", ["status", "created_at", "course_id"])
    op.create_index("ix_course_skills_skill_id", "course_skills", ["skill_id"])
    op.create_index(
        "ix_course_prerequisites_prerequisite_course_id", "course_prerequisites", ["prerequisite_course_id"]
    )

    op.add_column("skills", _version())
    op.add_column("skills", _updated_at())

    op.create_table(
        "modules",
        sa.Column("module_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "course_id",
            UUID(as_uuid=True),
            sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text),
        _version(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        _updated_at(),
        sa.UniqueConstraint("course_id", "position", name="uq_modules_course_id_position"),
    )

    op.add_column(
        "lessons",
        sa.Column("module_id", UUID(as_uuid=True), sa.ForeignKey("modules.module_id", ondelete="SET NULL")),
    )
    op.add_column("lessons", sa.Column("is_required", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("lessons", sa.Column("summary", sa.Text))
    op.add_column("lessons", sa.Column("content", sa.Text))
    op.add_column("lessons", _version())
    op.add_column("lessons", _updated_at())
    op.create_index("ix_lessons_module_id", "lessons", ["module_id"])

    op.create_index("ix_enrollments_course_id", "enrollments", ["course_id"])
    op.create_table(
        "lesson_progress",
        sa.Column(
            "enrollment_id",
            UUID(as_uuid=True),
            sa.ForeignKey("enrollments.enrollment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "lesson_id",
            UUID(as_uuid=True),
            sa.ForeignKey("lessons.lesson_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("percent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("time_spent_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        _updated_at(),
        sa.PrimaryKeyConstraint("enrollment_id", "lesson_id", name="pk_lesson_progress"),
        sa.CheckConstraint("percent between 0 and 100", name="percent"),
        sa.CheckConstraint("time_spent_s >= 0", name="time_spent_s"),
    )
    op.create_index("ix_lesson_progress_lesson_id", "lesson_progress", ["lesson_id"])


def downgrade() -> None:
    op.drop_index("ix_lesson_progress_lesson_id", "lesson_progress")
    op.drop_table("lesson_progress")
    op.drop_index("ix_enrollments_course_id", "enrollments")
    op.drop_index("ix_lessons_module_id", "lessons")
    for column in ("updated_at", "version", "content", "summary", "is_required", "module_id"):
        op.drop_column("lessons", column)
    op.drop_table("modules")
    op.drop_column("skills", "updated_at")
    op.drop_column("skills", "version")
    op.drop_index("ix_course_prerequisites_prerequisite_course_id", "course_prerequisites")
    op.drop_index("ix_course_skills_skill_id", "course_skills")
    op.drop_index("ix_courses_status_created_at", "courses")
    op.drop_index("ix_courses_instructor_id", "courses")
    op.drop_index("ix_courses_search_vector", "courses")
    for column in ("search_vector", "published_at", "version", "instructor_id"):
        op.drop_column("courses", column)
