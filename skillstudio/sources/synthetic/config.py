"""What a generated history looks like: the user's knobs and the model's fixed constants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

SUBJECT_SKILLS: dict[str, tuple[str, ...]] = {
    "Data Science": ("Statistics", "Data Visualisation", "Machine Learning", "Experiment Design"),
    "Programming": ("Python", "Testing", "Algorithms", "Debugging"),
    "Mathematics": ("Algebra", "Calculus", "Probability", "Linear Algebra"),
    "Design": ("Typography", "Colour Theory", "UX Research", "Prototyping"),
    "Business": ("Finance", "Marketing", "Strategy", "Negotiation"),
    "Languages": ("Grammar", "Vocabulary", "Listening", "Pronunciation"),
    "SQL": ("Joins", "Aggregation", "Window Functions", "Indexing"),
    "Cloud": ("Networking", "Containers", "Security", "Cost Management"),
}
SUBJECTS = tuple(SUBJECT_SKILLS)
LEVELS = ("beginner", "intermediate", "advanced")
TOPICS = (
    "Foundations",
    "Essentials",
    "in Practice",
    "Deep Dive",
    "Projects",
    "for Professionals",
    "Patterns",
    "Bootcamp",
    "Workshop",
    "Masterclass",
)
LESSON_ACTIVITIES = ("video", "reading", "exercise")


@dataclass(frozen=True)
class Model:
    """Constants of the generative model (written to ``truth.generations`` with each run)."""

    lessons_per_quiz: int = 4
    questions_per_quiz: tuple[int, int] = (4, 8)
    pass_mark: float = 0.6
    max_quiz_attempts: int = 3
    difficulty_by_level: tuple[float, ...] = (-1.0, -0.3, 0.4)
    lesson_practice: float = 0.5
    prerequisite_share: float = 0.8
    prerequisite_respect: float = 0.98
    dropout_failure_weight: float = 1.2
    dropout_interest_weight: float = 1.5
    inactivity_days: int = 21
    streak_gain: float = 0.6
    momentum_decay: float = 0.8
    lapse_cost: float = 0.15
    failure_discouragement: float = 0.5
    new_course_boost: float = 1.0


@dataclass(frozen=True)
class GeneratorConfig:
    """The history to generate. Same values (``end_date`` included), same rows, ids included.

    ``batch_learners`` is part of the recipe: learners are simulated in batches, each from its own
    random stream, so a different batch size gives different (equally valid) data.
    """

    learners: int = 2000
    courses: int = 100
    days: int = 90
    seed: int = 7
    end_date: date = field(default_factory=lambda: datetime.now(UTC).date())
    taste_factors: int = 6
    taste_strength: float = 4.0
    mean_enrollments: float = 3.0
    mean_days_between_enrollments: float = 2.0
    batch_learners: int = 10_000
    model: Model = field(default_factory=Model)


@dataclass
class GeneratedCounts:
    users: int = 0
    courses: int = 0
    lessons: int = 0
    enrollments: int = 0
    events: int = 0
    skills: int = 0
    assessments: int = 0
    questions: int = 0
    attempts: int = 0
    dropouts: int = 0


@dataclass(frozen=True)
class GenerationProgress:
    """Where a run is: ``stage`` in words, learners simulated so far and events sent to the database."""

    stage: str
    learners_done: int
    learners_total: int
    events_written: int


Progress = Callable[[GenerationProgress], None]
