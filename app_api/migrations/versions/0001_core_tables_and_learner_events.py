"""core tables (users, courses, lessons, enrollments) and month-partitioned learner_events

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS_AHEAD = 3

# Creates the partition for one month. Rows of that month already sitting in the default partition are
# moved into the new one in the same transaction, because PostgreSQL refuses to attach a partition whose
# range the default partition still holds.
ENSURE_PARTITION = """
create or replace function ensure_learner_event_partition(month_start date) returns text
language plpgsql as $$
declare
    lower_bound timestamptz := date_trunc('month', month_start)::timestamp at time zone 'UTC';
    upper_bound timestamptz := (date_trunc('month', month_start) + interval '1 month')::timestamp
                                at time zone 'UTC';
    partition_name text := format('learner_events_%s', to_char(month_start, 'YYYY_MM'));
begin
    if to_regclass(partition_name) is not null then
        return partition_name;
    end if;
    perform pg_advisory_xact_lock(hashtext('learner_events_partitions'));
    if to_regclass(partition_name) is not null then
        return partition_name;
    end if;
    execute format('create table %I (like learner_events including defaults including constraints)',
                   partition_name);
    execute format('with moved as (delete from learner_events_default where occurred_at >= %L '
                   'and occurred_at < %L returning *) insert into %I select * from moved',
                   lower_bound, upper_bound, partition_name);
    execute format('alter table learner_events attach partition %I for values from (%L) to (%L)',
                   partition_name, lower_bound, upper_bound);
    return partition_name;
end
$$;
"""


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False, server_default="learner"),
        *_timestamps(),
        sa.CheckConstraint("role in ('learner', 'instructor', 'admin')", name="role"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "courses",
        sa.Column("course_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="published"),
        *_timestamps(),
        sa.CheckConstraint("status in ('draft', 'published', 'archived')", name="status"),
    )
    op.create_table(
        "lessons",
        sa.Column("lesson_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "course_id",
            UUID(as_uuid=True),
            sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("estimated_minutes", sa.Integer, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("course_id", "position", name="uq_lessons_course_id_position"),
    )
    op.create_table(
        "enrollments",
        sa.Column("enrollment_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "course_id",
            UUID(as_uuid=True),
            sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status in ('active', 'completed', 'dropped')", name="status"),
        sa.UniqueConstraint("user_id", "course_id", name="uq_enrollments_user_id_course_id"),
    )
    op.create_index("ix_enrollments_user_id", "enrollments", ["user_id"])

    op.execute(
        """
        create table learner_events (
            event_id uuid not null,
            occurred_at timestamptz not null,
            received_at timestamptz not null default now(),
            actor_id uuid not null,
            verb text not null,
            object_type text not null,
            object_id text not null,
            course_id uuid,
            module_id uuid,
            registration uuid,
            attempt integer,
            score_scaled double precision,
            success boolean,
            completion boolean,
            response text,
            duration_s double precision,
            extensions jsonb not null default '{}'::jsonb,
            constraint pk_learner_events primary key (event_id, occurred_at)
        ) partition by range (occurred_at)
        """
    )
    op.execute("create table learner_events_default partition of learner_events default")
    op.execute("create index ix_learner_events_actor_id on learner_events (actor_id, occurred_at)")
    op.execute("create index ix_learner_events_course_id on learner_events (course_id, occurred_at)")
    op.execute(ENSURE_PARTITION)
    op.execute(
        "select ensure_learner_event_partition(month::date) from generate_series("
        "date_trunc('month', now() at time zone 'UTC'), "
        f"date_trunc('month', now() at time zone 'UTC') + interval '{MONTHS_AHEAD} months', "
        "interval '1 month') as month"
    )


def downgrade() -> None:
    op.execute("drop table learner_events cascade")
    op.execute("drop function ensure_learner_event_partition(date)")
    op.drop_table("enrollments")
    op.drop_table("lessons")
    op.drop_table("courses")
    op.drop_table("users")
