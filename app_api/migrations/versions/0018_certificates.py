"""certificates: one per completed enrollment, verifiable by a public code, revocable by an admin

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-06

A certificate is issued in the transaction that completes its enrollment (unique per enrollment); the
names and title it shows are kept as they were at issue, so a later rename does not change a certificate
already handed out. ``verification_code`` is random and url-safe (the public page's key, unique).
``pdf_key`` is null until the PDF is rendered into object storage (by the worker, or on first download);
``revoked_at`` set means revoked, with its reason and the admin who did it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("certificate_id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "enrollment_id",
            UUID(as_uuid=True),
            sa.ForeignKey("enrollments.enrollment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "course_id",
            UUID(as_uuid=True),
            sa.ForeignKey("courses.course_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("verification_code", sa.Text, nullable=False),
        sa.Column("learner_name", sa.Text, nullable=False),
        sa.Column("course_title", sa.Text, nullable=False),
        sa.Column("instructor_name", sa.Text),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_key", sa.Text),
        sa.Column("rendered_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="SET NULL")),
        sa.Column("revocation_reason", sa.Text),
        sa.UniqueConstraint("enrollment_id", name="uq_certificates_enrollment_id"),
        sa.UniqueConstraint("verification_code", name="uq_certificates_verification_code"),
        sa.CheckConstraint(
            "(revoked_at is null) = (revocation_reason is null)", name="ck_certificates_revocation"
        ),
    )
    op.create_index("ix_certificates_user_id", "certificates", ["user_id", "issued_at"])
    # The render worker's queue: certificates still without a PDF.
    op.create_index(
        "ix_certificates_pending",
        "certificates",
        ["issued_at"],
        postgresql_where=sa.text("pdf_key is null and revoked_at is null"),
    )


def downgrade() -> None:
    op.drop_table("certificates")
