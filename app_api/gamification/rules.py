"""The rules of XP, levels, streaks and badges: every number of the game in one place.

XP (``XP_RULES``): each rule names the event that earns it and its value. A rule pays at most once per
triggering event: the ledger (``xp_transactions``) is keyed by (event_id, rule).

=====================  ====  ===========================================================================
rule                     XP  earned by
=====================  ====  ===========================================================================
lesson_completed         50  ``completed lesson``
first_lesson             10  the learner's first ``completed lesson`` ever (on top of lesson_completed)
quiz_passed             100  ``passed assessment``
perfect_quiz             50  ``passed assessment`` with ``score_scaled`` 1 (on top of quiz_passed)
course_completed        500  ``completed course``
streak_continued         20  the first learning activity of a local day that follows an active day
=====================  ====  ===========================================================================

Level: ``level = floor(sqrt(xp / 100))``, so level n needs ``100 * n**2`` XP (level 1 at 100, 2 at 400,
3 at 900...). A level-up writes an ``earned level`` event and a ``level_up`` notification.

Daily streak, in the learner's own time zone (profile preference ``time_zone``, an IANA name, default
UTC): a local day with any learning activity (``LEARNING_VERBS`` on ``LEARNING_OBJECTS``) is an active
day. The first active day starts a streak of 1; an active day right after the last active day continues
it (+1, and ``streak_continued`` XP); an active day after a missed day starts again at 1. Activity dated
before the last active day (a late statement) changes nothing. The stored streak is only updated by
activity, so the API shows a streak whose last active day is before yesterday (local) as broken: 0.

What earns: the events the learning API records for its own changes (``record_event``: a lesson the
progress route completes, a quiz the attempts route grades, a course completed by its last lesson), and
only those. Statements posted to ``POST /api/v1/events`` feed analytics and models but earn nothing: a
learner posts their own there, and could claim any completion.

"Quiz passed" is any ``passed assessment`` event (quizzes and diagnostics with a pass threshold alike).

Badges (achievements): an achievement has a requirement type and a threshold; it unlocks when the
learner's counter of that type reaches the threshold (``REQUIREMENT_TYPES``). ``SEEDED`` lists the badges a
fresh installation has (migration 0016 inserts them); admins add more through the API.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Literal

RuleName = Literal[
    "lesson_completed", "first_lesson", "quiz_passed", "perfect_quiz", "course_completed", "streak_continued"
]

XP_RULES: dict[RuleName, int] = {
    "lesson_completed": 50,
    "first_lesson": 10,
    "quiz_passed": 100,
    "perfect_quiz": 50,
    "course_completed": 500,
    "streak_continued": 20,
}

# What counts as learning activity for the streak: the learner acting on content, not on their account.
LEARNING_VERBS = frozenset(
    {"initialized", "progressed", "completed", "attempted", "answered", "passed", "failed", "experienced"}
)
LEARNING_OBJECTS = frozenset({"lesson", "course", "assessment", "question", "video", "module"})

Rarity = Literal["common", "rare", "epic", "legendary"]
RARITIES: tuple[Rarity, ...] = ("common", "rare", "epic", "legendary")

RequirementType = Literal[
    "lessons_completed", "quizzes_passed", "perfect_quizzes", "courses_completed", "streak_days", "xp_total",
    "skill_level",
]  # fmt: skip
REQUIREMENT_TYPES: dict[RequirementType, str] = {
    "lessons_completed": "lessons completed",
    "quizzes_passed": "quizzes (assessments) passed",
    "perfect_quizzes": "quizzes passed with a score of 100%",
    "courses_completed": "courses completed",
    "streak_days": "the longest daily streak, in days",
    "xp_total": "XP earned in total",
    "skill_level": "the highest measured level (1-10) on any skill (diagnostic, mastery, import or admin; "
    "self-assessments do not count)",
}
MAX_SKILL_LEVEL = 10


def level_for(xp: int) -> int:
    """``floor(sqrt(xp / 100))``, exact for every integer (no float rounding at perfect squares)."""
    return math.isqrt(max(xp, 0) // 100)


def xp_for_level(level: int) -> int:
    """The XP total at which ``level`` starts: ``100 * level**2``."""
    return 100 * level * level


# Seeded badges have the id uuid5(namespace, slug): the same on every installation.
SEEDED_NAMESPACE = uuid.UUID("0b7d7c33-5a55-4d0a-8f64-7d4c2f5f3a10")


def seeded_achievement_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(SEEDED_NAMESPACE, slug)


@dataclass(frozen=True)
class SeededAchievement:
    slug: str
    name: str
    description: str
    rarity: Rarity
    requirement_type: RequirementType
    threshold: int


# The badges migration 0016 seeds (kept equal by tests/app_api/gamification/test_rules.py).
SEEDED: tuple[SeededAchievement, ...] = (
    SeededAchievement(
        "first-steps", "First steps", "Complete your first lesson.", "common", "lessons_completed", 1
    ),
    SeededAchievement("bookworm", "Bookworm", "Complete 10 lessons.", "common", "lessons_completed", 10),
    SeededAchievement("scholar", "Scholar", "Complete 100 lessons.", "epic", "lessons_completed", 100),
    SeededAchievement("quiz-taker", "Quiz taker", "Pass your first quiz.", "common", "quizzes_passed", 1),
    SeededAchievement("quiz-master", "Quiz master", "Pass 25 quizzes.", "rare", "quizzes_passed", 25),
    SeededAchievement("sharpshooter", "Sharpshooter", "Score 100% on a quiz.", "rare", "perfect_quizzes", 1),
    SeededAchievement("flawless", "Flawless", "Score 100% on 10 quizzes.", "epic", "perfect_quizzes", 10),
    SeededAchievement("graduate", "Graduate", "Complete a course.", "rare", "courses_completed", 1),
    SeededAchievement("polymath", "Polymath", "Complete 10 courses.", "legendary", "courses_completed", 10),
    SeededAchievement("on-a-roll", "On a roll", "Learn 3 days in a row.", "common", "streak_days", 3),
    SeededAchievement("week-warrior", "Week warrior", "Learn 7 days in a row.", "rare", "streak_days", 7),
    SeededAchievement("unstoppable", "Unstoppable", "Learn 30 days in a row.", "epic", "streak_days", 30),
    SeededAchievement("centurion", "Centurion", "Learn 100 days in a row.", "legendary", "streak_days", 100),
    SeededAchievement("rising-star", "Rising star", "Earn 1,000 XP.", "common", "xp_total", 1000),
    SeededAchievement("xp-hoarder", "XP hoarder", "Earn 10,000 XP.", "epic", "xp_total", 10000),
    SeededAchievement("specialist", "Specialist", "Reach level 7 on a skill.", "rare", "skill_level", 7),
    SeededAchievement("master", "Master", "Reach level 9 on a skill.", "legendary", "skill_level", 9),
)  # fmt: skip
