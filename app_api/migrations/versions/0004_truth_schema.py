"""truth schema: the generator's hidden abilities, tastes, item difficulties and dropout times

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

``skillstudio generate`` draws every learner and item from hidden parameters and writes them here, so
that a model trained on the events can be scored against what really drove them: a mastery model
against abilities and item parameters, the recommender against tastes, completion risk against dropouts.
The application never reads this schema. Rows reference the public tables by id without foreign keys:
truth is a record of one generation, not part of the OLTP model (erasing a learner must not need it).

The generative model, in short (skillstudio/synthetic/ has the details):

- ability of learner l on skill s after ``practice`` practice units (lessons and answered questions on
  that skill): ``theta = initial_theta + learning_rate * ln(1 + practice)``;
- an answer is correct with probability ``sigmoid(discrimination * (theta - difficulty))`` (2PL IRT);
- a learner's utility for a course is ``taste_strength * <learner taste, course taste> / sqrt(factors)
  + popularity`` (plus Gumbel noise); most choices skip courses whose prerequisite is not completed;
- after each step of a course the learner drops out with probability ``sigmoid(dropout_propensity
  + w_failure * recent_failures - w_interest * tanh(match / 3))``, ``match`` being the taste term of the
  utility without ``taste_strength``: more after failed quizzes, less
  in courses they like (the weights are in ``truth.generations.config``); three weeks without a session
  is a dropout for inactivity.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "truth"
DROPOUT_REASONS = ("repeated_failure", "lost_interest", "inactivity")


def _uuid(name: str, **kwargs: object) -> sa.Column:
    return sa.Column(name, UUID(as_uuid=True), nullable=False, **kwargs)  # type: ignore[arg-type]


def _float(name: str, comment: str) -> sa.Column:
    return sa.Column(name, sa.Float, nullable=False, comment=comment)


def upgrade() -> None:
    op.execute(f"create schema {SCHEMA}")
    op.execute(
        f"comment on schema {SCHEMA} is 'Hidden parameters of generated histories (skillstudio generate)'"
    )
    op.create_table(
        "generations",
        sa.Column("generation_id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("config", JSONB, nullable=False, comment="GeneratorConfig and the model's constants"),
        sa.Column("generated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "learner_skill_ability",
        _uuid("learner_id"),
        _uuid("skill_id"),
        _float("initial_theta", "ability before any practice, on the IRT logit scale"),
        _float("learning_rate", "theta gained per unit of ln(1 + practice)"),
        _float("practice", "practice units by the end of the history"),
        _float("final_theta", "ability at the end of the history"),
        sa.PrimaryKeyConstraint("learner_id", "skill_id", name="pk_learner_skill_ability"),
        schema=SCHEMA,
        comment="One row per learner and skill the learner practised.",
    )
    op.create_table(
        "learner_taste",
        _uuid("learner_id", primary_key=True),
        sa.Column("taste", ARRAY(sa.Float), nullable=False, comment="taste factors, one per dimension"),
        _float("engagement", "base logit of studying on a given day"),
        _float("weekend_effect", "added to that logit on Saturdays and Sundays"),
        _float("preferred_hour", "usual UTC hour of study sessions"),
        _float("dropout_propensity", "base logit of the dropout hazard per course step"),
        schema=SCHEMA,
    )
    op.create_table(
        "course_taste",
        _uuid("course_id", primary_key=True),
        sa.Column("taste", ARRAY(sa.Float), nullable=False, comment="taste factors, one per dimension"),
        _float("popularity", "added to every learner's utility for the course"),
        schema=SCHEMA,
    )
    op.create_table(
        "question_items",
        _uuid("question_id", primary_key=True),
        _uuid("assessment_id"),
        _uuid("course_id"),
        _uuid("skill_id"),
        sa.Column("position", sa.Integer, nullable=False),
        _float("difficulty", "IRT b"),
        _float("discrimination", "IRT a"),
        schema=SCHEMA,
    )
    op.create_table(
        "dropouts",
        _uuid("enrollment_id", primary_key=True),
        _uuid("learner_id"),
        _uuid("course_id"),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _float("recent_failures", "the learner's recent quiz failures when they dropped out"),
        _float("hazard", "the dropout hazard of the step after which they left (1 for inactivity)"),
        sa.CheckConstraint(f"reason in {DROPOUT_REASONS}", name="reason"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.execute(f"drop schema {SCHEMA} cascade")
