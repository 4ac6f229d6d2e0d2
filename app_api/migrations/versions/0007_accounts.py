"""accounts: per-skill levels, passwords, rotating refresh tokens, login attempts, case-insensitive emails

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

Refresh tokens are stored only as their SHA-256 digest, grouped into families (one family per login) so a
reused token can revoke every token descended from the same login. Login attempts live here rather than in
process memory because the API runs as several stateless replicas that must share one count.
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


def _user_fk(*, nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(
        "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete=ondelete), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "learner_skill_levels",
        _user_fk(),
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

    # Accounts that log in: a password hash (argon2id, PHC string) needs an email to log in with; imported
    # learners keep both null. Bulk writers need not know these columns: all are nullable or defaulted.
    op.add_column("users", sa.Column("password_hash", sa.Text))
    op.add_column(
        "users",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True)))
    op.create_check_constraint("password_needs_email", "users", "password_hash is null or email is not null")
    # Emails are stored normalised (trimmed, lower case); the unique index on lower(email) also holds rows
    # written by bulk writers that skip the API's normalisation. text_pattern_ops serves the admin's
    # email-prefix filter (LIKE 'abc%') as well as equality.
    op.execute(
        "update users set email = lower(btrim(email)) where email is distinct from lower(btrim(email))"
    )
    op.drop_constraint("uq_users_email", "users", type_="unique")
    op.execute("create unique index uq_users_email_lower on users (lower(email) text_pattern_ops)")
    op.create_index("ix_users_created_at", "users", ["created_at", "user_id"])

    op.create_table(
        "refresh_tokens",
        sa.Column("refresh_token_id", UUID(as_uuid=True), primary_key=True),
        _user_fk(),
        sa.Column("family_id", UUID(as_uuid=True), nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_reason", sa.Text),
        sa.Column(
            "replaced_by_id",
            UUID(as_uuid=True),
            sa.ForeignKey("refresh_tokens.refresh_token_id", ondelete="SET NULL"),
        ),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
        sa.CheckConstraint(
            "revoked_reason is null or revoked_reason in "
            "('rotated', 'logout', 'reuse_detected', 'password_changed')",
            name="revoked_reason",
        ),
        sa.CheckConstraint("(revoked_at is null) = (revoked_reason is null)", name="revoked_with_reason"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])

    op.create_table(
        "login_attempts",
        sa.Column("login_attempt_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        # The normalised email typed, whether or not an account has it: limits apply to unknown emails too.
        sa.Column("email", sa.Text, nullable=False),
        _user_fk(nullable=True, ondelete="SET NULL"),
        sa.Column("client_ip", sa.Text, nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
    )
    op.create_index("ix_login_attempts_email", "login_attempts", ["email", "attempted_at"])
    op.create_index("ix_login_attempts_client_ip", "login_attempts", ["client_ip", "attempted_at"])


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_users_created_at", "users")
    op.execute("drop index uq_users_email_lower")
    op.create_unique_constraint("uq_users_email", "users", ["email"])
    op.drop_constraint(op.f("ck_users_password_needs_email"), "users", type_="check")
    for column in ("last_login_at", "updated_at", "password_hash"):
        op.drop_column("users", column)
    op.drop_table("learner_skill_levels")
