"""gamification: the XP ledger, per-learner totals, achievements and their unlocks, the leaderboard cache

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

``xp_transactions`` is the ledger: one row per triggering event and rule, keyed by (event_id, rule), so
an event replayed or reacted to twice adds nothing. ``learner_stats`` keeps each learner's totals (XP,
level, counters the badges read, streaks) in step with the ledger, and the two settings the award path
needs without reading the profile (time zone, leaderboard opt-out), copied from the profile when it
changes. ``achievements`` is seeded with the platform's badges (``app_api.gamification.rules.SEEDED``);
admins add more through the API. ``leaderboard_entries`` is the serving copy of the ``fct_leaderboards``
mart, refreshed by Dagster; the API reads it with one index range per request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The seeded badges as they were on this revision (a migration never imports the application's code).
# Ids are uuid5 of the slug, so the same badge has the same id on every installation.
_NAMESPACE = uuid.UUID("0b7d7c33-5a55-4d0a-8f64-7d4c2f5f3a10")
SEEDED: list[tuple[str, str, str, str, str, int]] = [
    # slug, name, description, rarity, requirement type, threshold
    ("first-steps", "First steps", "Complete your first lesson.", "common", "lessons_completed", 1),
    ("bookworm", "Bookworm", "Complete 10 lessons.", "common", "lessons_completed", 10),
    ("scholar", "Scholar", "Complete 100 lessons.", "epic", "lessons_completed", 100),
    ("quiz-taker", "Quiz taker", "Pass your first quiz.", "common", "quizzes_passed", 1),
    ("quiz-master", "Quiz master", "Pass 25 quizzes.", "rare", "quizzes_passed", 25),
    ("sharpshooter", "Sharpshooter", "Score 100% on a quiz.", "rare", "perfect_quizzes", 1),
    ("flawless", "Flawless", "Score 100% on 10 quizzes.", "epic", "perfect_quizzes", 10),
    ("graduate", "Graduate", "Complete a course.", "rare", "courses_completed", 1),
    ("polymath", "Polymath", "Complete 10 courses.", "legendary", "courses_completed", 10),
    ("on-a-roll", "On a roll", "Learn 3 days in a row.", "common", "streak_days", 3),
    ("week-warrior", "Week warrior", "Learn 7 days in a row.", "rare", "streak_days", 7),
    ("unstoppable", "Unstoppable", "Learn 30 days in a row.", "epic", "streak_days", 30),
    ("centurion", "Centurion", "Learn 100 days in a row.", "legendary", "streak_days", 100),
    ("rising-star", "Rising star", "Earn 1,000 XP.", "common", "xp_total", 1000),
    ("xp-hoarder", "XP hoarder", "Earn 10,000 XP.", "epic", "xp_total", 10000),
    ("specialist", "Specialist", "Reach level 7 on a skill.", "rare", "skill_level", 7),
    ("master", "Master", "Reach level 9 on a skill.", "legendary", "skill_level", 9),
]
RARITIES = "('common', 'rare', 'epic', 'legendary')"
REQUIREMENT_TYPES = (
    "('lessons_completed', 'quizzes_passed', 'perfect_quizzes', 'courses_completed', 'streak_days', "
    "'xp_total', 'skill_level')"
)


def _user_fk() -> sa.Column[uuid.UUID]:
    return sa.Column(
        "user_id", UUID(as_uuid=True), sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "xp_transactions",
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        _user_fk(),
        sa.Column("xp", sa.Integer, nullable=False),
        sa.Column("course_id", UUID(as_uuid=True)),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "rule", name="pk_xp_transactions"),
        sa.CheckConstraint("xp > 0", name="ck_xp_transactions_xp"),
    )
    # "First lesson ever" is offered with every completed lesson and kept once per learner by this index.
    op.create_index(
        "uq_xp_transactions_first_lesson",
        "xp_transactions",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("rule = 'first_lesson'"),
    )
    # The learner's ledger, newest first (GET /gamification/me/xp).
    op.create_index(
        "ix_xp_transactions_user_id", "xp_transactions", ["user_id", "occurred_at", "event_id", "rule"]
    )
    op.create_table(
        "learner_stats",
        sa.Column(
            "user_id",
            UUID(as_uuid=True),
            sa.ForeignKey("users.user_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("xp", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lessons_completed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("quizzes_passed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("perfect_quizzes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("courses_completed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("current_streak", sa.Integer, nullable=False, server_default="0"),
        sa.Column("longest_streak", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_active_date", sa.Date),
        # last_active_date before the latest new active day: a continued streak, told in one statement
        sa.Column("previous_active_date", sa.Date),
        sa.Column("time_zone", sa.Text, nullable=False, server_default="UTC"),
        sa.Column("leaderboard_opt_out", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "achievements",
        sa.Column("achievement_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("rarity", sa.Text, nullable=False),
        sa.Column("requirement_type", sa.Text, nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(f"rarity in {RARITIES}", name="ck_achievements_rarity"),
        sa.CheckConstraint(
            f"requirement_type in {REQUIREMENT_TYPES}", name="ck_achievements_requirement_type"
        ),
        sa.CheckConstraint("threshold > 0", name="ck_achievements_threshold"),
    )
    op.create_index("ix_achievements_requirement_type", "achievements", ["requirement_type", "threshold"])
    op.create_table(
        "user_achievements",
        _user_fk(),
        sa.Column(
            "achievement_id",
            UUID(as_uuid=True),
            sa.ForeignKey("achievements.achievement_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "achievement_id", name="pk_user_achievements"),
    )
    op.create_table(
        "leaderboard_entries",
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        # The nil uuid for the global boards, so that one key covers both scopes.
        sa.Column("course_id", UUID(as_uuid=True), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("learner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("xp", sa.BigInteger, nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_start", sa.Date),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", "scope", "course_id", "rank", name="pk_leaderboard_entries"),
        sa.UniqueConstraint(
            "period", "scope", "course_id", "learner_id", name="uq_leaderboard_entries_period"
        ),
        sa.CheckConstraint("period in ('all_time', 'month', 'week')", name="ck_leaderboard_entries_period"),
        sa.CheckConstraint("scope in ('global', 'course')", name="ck_leaderboard_entries_scope"),
    )
    achievements = sa.table(
        "achievements",
        sa.column("achievement_id", UUID(as_uuid=True)),
        sa.column("slug", sa.Text),
        sa.column("name", sa.Text),
        sa.column("description", sa.Text),
        sa.column("rarity", sa.Text),
        sa.column("requirement_type", sa.Text),
        sa.column("threshold", sa.Integer),
    )
    op.bulk_insert(
        achievements,
        [
            {
                "achievement_id": uuid.uuid5(_NAMESPACE, slug),
                "slug": slug,
                "name": name,
                "description": description,
                "rarity": rarity,
                "requirement_type": requirement,
                "threshold": threshold,
            }  # fmt: skip
            for slug, name, description, rarity, requirement, threshold in SEEDED
        ],
    )
    # Learners who chose a time zone or opted out before this revision keep their choice.
    op.execute(
        "insert into learner_stats (user_id, time_zone, leaderboard_opt_out) "
        "select user_id, coalesce((select name from pg_timezone_names "
        "where name = preferences->>'time_zone'), 'UTC'), "
        "coalesce((preferences->>'leaderboard_opt_out')::boolean, false) from learner_profiles "
        "where preferences ? 'time_zone' or preferences ? 'leaderboard_opt_out'"
    )


def downgrade() -> None:
    op.drop_table("leaderboard_entries")
    op.drop_table("user_achievements")
    op.drop_table("achievements")
    op.drop_table("learner_stats")
    op.drop_table("xp_transactions")
