"""discussions and reviews: course and lesson threads, nested comments, reviews, responses, reports

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-06

``discussion_threads`` belong to a course (and optionally one of its lessons); ``discussion_comments`` nest
to any depth through ``parent_comment_id`` and keep their ``depth`` so a tree is read level by level. A
deleted comment that has replies stays as a tombstone (``deleted_at`` set, ``body`` null). ``course_reviews``
hold one review per learner and course (1-5 stars); ``review_responses`` one instructor answer per review.
``post_reports`` are learners' reports of a thread, comment or review. ``hidden_at`` / ``hidden_by`` mark
a post a moderator hid. ``social_posting_log`` is the memory of the posting rate limit (one row per post in
the last hour of each user).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _user(name: str, *, nullable: bool = False) -> sa.Column:
    on_delete = "SET NULL" if nullable else "CASCADE"
    return sa.Column(
        name, UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete=on_delete), nullable=nullable
    )


def _course() -> sa.Column:
    return sa.Column(
        "course_id",
        UUID(as_uuid=True),
        sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
        nullable=False,
    )


def _moderation() -> list[sa.Column]:
    return [sa.Column("hidden_at", sa.DateTime(timezone=True)), _user("hidden_by", nullable=True)]


def upgrade() -> None:
    op.create_table(
        "discussion_threads",
        sa.Column("thread_id", UUID(as_uuid=True), primary_key=True),
        _course(),
        sa.Column("lesson_id", UUID(as_uuid=True), sa.ForeignKey("lessons.lesson_id", ondelete="CASCADE")),
        _user("author_id"),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        *_moderation(),
    )
    # A course's list: pinned first, newest first.
    op.create_index(
        "ix_discussion_threads_course_id",
        "discussion_threads",
        ["course_id", "pinned", "created_at", "thread_id"],
    )
    op.create_table(
        "discussion_comments",
        sa.Column("comment_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "thread_id",
            UUID(as_uuid=True),
            sa.ForeignKey("discussion_threads.thread_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "parent_comment_id",
            UUID(as_uuid=True),
            sa.ForeignKey("discussion_comments.comment_id", ondelete="CASCADE"),
        ),
        _user("author_id"),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("body", sa.Text),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        *_moderation(),
        sa.CheckConstraint("depth >= 0", name="ck_discussion_comments_depth"),
        sa.CheckConstraint(
            "(deleted_at is null) = (body is not null)", name="ck_discussion_comments_tombstone"
        ),
    )
    op.create_index(
        "ix_discussion_comments_thread_id",
        "discussion_comments",
        ["thread_id", "created_at", "comment_id"],
        postgresql_where=sa.text("parent_comment_id is null"),
    )
    op.create_index(
        "ix_discussion_comments_parent_comment_id",
        "discussion_comments",
        ["parent_comment_id", "created_at", "comment_id"],
    )
    op.create_table(
        "course_reviews",
        sa.Column("review_id", UUID(as_uuid=True), primary_key=True),
        _course(),
        _user("author_id"),
        sa.Column("stars", sa.SmallInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
        *_moderation(),
        sa.UniqueConstraint("course_id", "author_id", name="uq_course_reviews_course_id"),
        sa.CheckConstraint("stars between 1 and 5", name="ck_course_reviews_stars"),
    )
    op.create_index("ix_course_reviews_course_id", "course_reviews", ["course_id", "created_at", "review_id"])
    op.create_table(
        "review_responses",
        sa.Column("response_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "review_id",
            UUID(as_uuid=True),
            sa.ForeignKey("course_reviews.review_id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        _user("author_id"),
        sa.Column("body", sa.Text, nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("edited_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "post_reports",
        sa.Column("report_id", UUID(as_uuid=True), primary_key=True),
        _course(),
        sa.Column("post_type", sa.Text, nullable=False),
        sa.Column("post_id", UUID(as_uuid=True), nullable=False),
        _user("reporter_id"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("details", sa.Text),
        _now("created_at"),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        _user("resolved_by", nullable=True),
        sa.UniqueConstraint("post_type", "post_id", "reporter_id", name="uq_post_reports_post_type"),
        sa.CheckConstraint("post_type in ('thread', 'comment', 'review')", name="ck_post_reports_post_type"),
        sa.CheckConstraint(
            "reason in ('spam', 'abuse', 'off_topic', 'misinformation', 'other')",
            name="ck_post_reports_reason",
        ),
    )
    op.create_index("ix_post_reports_course_id", "post_reports", ["course_id", "created_at", "report_id"])
    op.create_table(
        "social_posting_log",
        sa.Column("posting_id", sa.BigInteger, sa.Identity(), primary_key=True),
        _user("user_id"),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_social_posting_log_user_id", "social_posting_log", ["user_id", "posted_at"])


def downgrade() -> None:
    for table in (
        "social_posting_log", "post_reports", "review_responses", "course_reviews", "discussion_comments",
        "discussion_threads",
    ):  # fmt: skip
        op.drop_table(table)
