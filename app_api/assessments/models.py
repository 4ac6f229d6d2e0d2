"""Assessments, their question bank and attempts (tables from migrations 0002 and 0009).

A question's answer key (``Question.answer_key``) is a column of its own, never part of what a learner is
shown; learner schemas are built from ``prompt`` and ``options`` only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app_api.database import Base

ASSESSMENT_TYPES = ("quiz", "diagnostic", "tma", "cma", "exam")
ASSESSMENT_STATUSES = ("draft", "published", "archived")
SELECTIONS = ("fixed", "adaptive")
QUESTION_TYPES = ("single_choice", "multiple_choice", "numeric", "short_text")


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint(
            "assessment_type in ('quiz', 'diagnostic', 'tma', 'cma', 'exam')", name="assessment_type"
        ),
        CheckConstraint("status in ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("selection in ('fixed', 'adaptive')", name="selection"),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.course_id", ondelete="CASCADE"))
    course_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("course_runs.course_run_id", ondelete="CASCADE")
    )
    external_id: Mapped[str | None] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    assessment_type: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    weight: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    description: Mapped[str | None] = mapped_column(Text)
    # Imported assessments are published; the API creates drafts unless told otherwise.
    status: Mapped[str] = mapped_column(Text, default="published", server_default="published")
    selection: Mapped[str] = mapped_column(Text, default="fixed", server_default="fixed")
    time_limit_s: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    pass_threshold: Mapped[float | None] = mapped_column(Float)
    # Adaptive mode: stop a skill once its standard error (theta scale) is below this; cap the questions.
    target_standard_error: Mapped[float | None] = mapped_column(Float)
    max_questions: Mapped[int | None] = mapped_column(Integer)
    reveal_answers: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    # Bumped by every edit through the API; the ETag of optimistic concurrency.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssessmentAttempt(Base):
    __tablename__ = "assessment_attempts"
    __table_args__ = (
        UniqueConstraint(
            "assessment_id", "user_id", "attempt_number", name="uq_assessment_attempts_assessment_id_user_id"
        ),
        CheckConstraint("status in ('in_progress', 'submitted', 'graded')", name="status"),
        CheckConstraint("score_scaled is null or score_scaled between 0 and 1", name="score_scaled"),
    )

    attempt_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.assessment_id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("enrollments.enrollment_id", ondelete="SET NULL")
    )
    attempt_number: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(Text, default="in_progress", server_default="in_progress")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score_scaled: Mapped[float | None] = mapped_column(Float)
    is_banked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Fixed when the attempt starts, so later edits of the assessment do not move a running attempt.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adaptive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    submitted_late: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Passed the threshold the assessment had when graded; null without a threshold.
    success: Mapped[bool | None] = mapped_column(Boolean)


class Question(Base):
    """One question of a course's bank, tagged with a skill and IRT parameters (2PL: a, b)."""

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(
            "question_type in ('single_choice', 'multiple_choice', 'numeric', 'short_text')",
            name="question_type",
        ),
        CheckConstraint("difficulty between -6 and 6", name="difficulty"),
        CheckConstraint("discrimination > 0 and discrimination <= 4", name="discrimination"),
    )

    question_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.course_id", ondelete="CASCADE"))
    skill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("skills.skill_id", ondelete="RESTRICT"))
    question_type: Mapped[str] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text)
    # [{"id": "a", "text": "..."}] for choice questions, [] otherwise.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    # {"correct_options": [...]} | {"value": x, "tolerance": t} | {"accepted": [...]} by question type.
    answer_key: Mapped[dict[str, Any]] = mapped_column(JSONB)
    difficulty: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    discrimination: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    external_id: Mapped[str | None] = mapped_column(Text, unique=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.user_id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssessmentQuestion(Base):
    """A fixed assessment's questions in order; the item pool of an adaptive one."""

    __tablename__ = "assessment_questions"
    __table_args__ = (
        UniqueConstraint("assessment_id", "position", name="uq_assessment_questions_assessment_id"),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.assessment_id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("questions.question_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class AttemptItem(Base):
    """A question an attempt served, with the learner's response and its server-side grade."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position", name="uq_attempt_items_attempt_id"),
        CheckConstraint(
            "(response is null) = (answered_at is null) and (response is null) = (is_correct is null)",
            name="answered_together",
        ),
    )

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_attempts.attempt_id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("questions.question_id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    served_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # {"value": <the learner's response>}
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    is_correct: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AttemptSkillEstimate(Base):
    """An attempt's final ability estimate on one skill (theta scale and the 1-10 level scale)."""

    __tablename__ = "attempt_skill_estimates"
    __table_args__ = (CheckConstraint("level between 1 and 10", name="level"),)

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_attempts.attempt_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("skills.skill_id", ondelete="RESTRICT"), primary_key=True
    )
    theta: Mapped[float] = mapped_column(Float)
    standard_error: Mapped[float] = mapped_column(Float)
    level: Mapped[float] = mapped_column(Float)
    level_standard_error: Mapped[float] = mapped_column(Float)
    answered: Mapped[int] = mapped_column(Integer)
