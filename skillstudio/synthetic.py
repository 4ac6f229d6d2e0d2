"""Synthetic learning history in which learners choose courses by hidden taste.

Each learner and each course get a vector of taste factors; a learner's utility for a course is their dot
product plus the course's popularity. Learners enrol in courses by sampling without replacement from a
softmax of that utility (Plackett-Luce through Gumbel noise), spaced out in time, and then work through
lessons with a persistence that grows with their affinity for the course. A recommender therefore has a
real, recoverable signal; popularity alone explains only part of it.

Everything is drawn from one ``numpy`` generator seeded by ``seed``: the same seed and end date give the
same rows, ids included.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg

from skillstudio.event_store import ensure_month_partitions, write_events
from skillstudio.events import EventRow, derive_event_id

SUBJECTS = ("Data Science", "Programming", "Mathematics", "Design", "Business", "Languages", "SQL", "Cloud")
LEVELS = ("beginner", "intermediate", "advanced")
TOPICS = (
    "Foundations", "Essentials", "in Practice", "Deep Dive", "Projects", "for Professionals", "Patterns",
    "Bootcamp", "Workshop", "Masterclass",
)  # fmt: skip
# Share of activity by hour of day (UTC): quiet nights, a lunch bump and an evening peak.
HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 10, 12, 12, 10, 6, 3], dtype=float
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class GeneratorConfig:
    learners: int = 2000
    courses: int = 100
    days: int = 90
    seed: int = 7
    end_date: date = field(default_factory=lambda: datetime.now(UTC).date())
    taste_factors: int = 6
    taste_strength: float = 2.5
    mean_enrollments: float = 3.0
    mean_days_between_enrollments: float = 6.0


@dataclass
class GeneratedCounts:
    users: int = 0
    courses: int = 0
    lessons: int = 0
    enrollments: int = 0
    events: int = 0


def _uuid(rng: np.random.Generator) -> uuid.UUID:
    return uuid.UUID(bytes=rng.bytes(16), version=4)


def _at(day: date, rng: np.random.Generator) -> datetime:
    hour = int(rng.choice(24, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()))
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(
        minutes=int(rng.integers(60)), seconds=int(rng.integers(60))
    )


def _event(
    actor: uuid.UUID,
    verb: str,
    object_type: str,
    object_id: uuid.UUID,
    occurred_at: datetime,
    *,
    course_id: uuid.UUID,
    registration: uuid.UUID,
    duration_s: float | None = None,
    completion: bool | None = None,
) -> EventRow:
    event_id = derive_event_id(
        actor_id=actor, verb=verb, object_type=object_type, object_id=str(object_id), occurred_at=occurred_at
    )
    return (
        event_id, occurred_at, occurred_at, actor, verb, object_type, str(object_id), course_id, None,
        registration, None, None, None, completion, None, duration_s, {},
    )  # fmt: skip


def generate(
    conn: psycopg.Connection, config: GeneratorConfig, progress: Progress | None = None
) -> GeneratedCounts:
    """Write users, courses, lessons, enrollments and their events in the caller's transaction."""
    say = progress or (lambda _message: None)
    rng = np.random.default_rng(config.seed)
    first_day = config.end_date - timedelta(days=config.days - 1)
    counts = GeneratedCounts()

    say("catalogue")
    course_ids = [_uuid(rng) for _ in range(config.courses)]
    course_taste = rng.normal(size=(config.courses, config.taste_factors))
    popularity = rng.normal(scale=0.7, size=config.courses)
    lesson_counts = rng.integers(4, 13, size=config.courses)
    course_rows = []
    lesson_rows = []
    for index, course_id in enumerate(course_ids):
        subject = SUBJECTS[int(np.argmax(course_taste[index, : len(SUBJECTS)]) % len(SUBJECTS))]
        title = f"{subject} {TOPICS[index % len(TOPICS)]} {index + 1}"
        created = datetime.combine(first_day, datetime.min.time(), UTC) - timedelta(days=30)
        course_rows.append((course_id, title, subject, LEVELS[index % len(LEVELS)], "published", created))
        for position in range(int(lesson_counts[index])):
            lesson_rows.append(
                (_uuid(rng), course_id, position + 1, f"{title}: lesson {position + 1}",
                 int(rng.integers(5, 46)), created)
            )  # fmt: skip
    lessons_of = {
        course_id: [row[0] for row in lesson_rows if row[1] == course_id] for course_id in course_ids
    }

    say("learners")
    learner_ids = [_uuid(rng) for _ in range(config.learners)]
    learner_taste = rng.normal(size=(config.learners, config.taste_factors))
    signup_day = rng.integers(0, config.days, size=config.learners)
    user_rows = [
        (learner_id, f"learner{number:06d}@learners.skillstudio.test", f"Learner {number}", "learner",
         _at(first_day + timedelta(days=int(signup_day[number])), rng))
        for number, learner_id in enumerate(learner_ids)
    ]  # fmt: skip

    say("enrollments and activity")
    utility = (
        config.taste_strength * learner_taste @ course_taste.T / np.sqrt(config.taste_factors) + popularity
    )
    enrollment_rows = []
    events: list[EventRow] = []
    for number, learner_id in enumerate(learner_ids):
        wanted = min(config.courses, 1 + int(rng.poisson(config.mean_enrollments - 1)))
        # Gumbel-top-k draws a sequence of choices without replacement from softmax(utility).
        order = np.argsort(-(utility[number] + rng.gumbel(size=config.courses)))[:wanted]
        signed_up = user_rows[number][4]
        when = signed_up + timedelta(minutes=int(rng.integers(1, 120)))
        for course_index in order:
            if when.date() > config.end_date:
                break
            course_id = course_ids[int(course_index)]
            enrollment_id = _uuid(rng)
            completed_at = None
            events.append(
                _event(learner_id, "registered", "course", course_id, when,
                       course_id=course_id, registration=enrollment_id)
            )  # fmt: skip
            affinity = utility[number, course_index] - popularity[course_index]
            persistence = 1.0 / (1.0 + np.exp(-(1.5 + affinity)))
            day = when.date()
            for lesson_id in lessons_of[course_id]:
                day += timedelta(days=int(rng.geometric(0.45)) - 1)
                if day > config.end_date or rng.random() > persistence:
                    break
                at = max(_at(day, rng), when + timedelta(minutes=5))
                minutes = float(rng.gamma(2.0, 6.0))
                events.append(
                    _event(learner_id, "experienced", "lesson", lesson_id, at, course_id=course_id,
                           registration=enrollment_id, duration_s=round(minutes * 60, 1))
                )  # fmt: skip
                done = at + timedelta(minutes=minutes)
                events.append(
                    _event(learner_id, "completed", "lesson", lesson_id, done, course_id=course_id,
                           registration=enrollment_id, completion=True)
                )  # fmt: skip
            else:
                completed_at = events[-1][1] + timedelta(seconds=1)
                events.append(
                    _event(learner_id, "completed", "course", course_id, completed_at,
                           course_id=course_id, registration=enrollment_id, completion=True)
                )  # fmt: skip
            status = "completed" if completed_at else "active"
            enrollment_rows.append((enrollment_id, learner_id, course_id, status, when, completed_at))
            when += timedelta(days=float(rng.exponential(config.mean_days_between_enrollments)))

    say("writing rows")
    with conn.cursor() as cursor:
        for table, columns, rows in (
            ("courses", "course_id, title, subject, level, status, created_at", course_rows),
            ("lessons", "lesson_id, course_id, position, title, estimated_minutes, created_at", lesson_rows),
            ("users", "user_id, email, display_name, role, created_at", user_rows),
            (
                "enrollments",
                "enrollment_id, user_id, course_id, status, enrolled_at, completed_at",
                enrollment_rows,
            ),
        ):
            with cursor.copy(f"copy {table} ({columns}) from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
    ensure_month_partitions(conn, first_day, config.end_date)
    say(f"writing {len(events):,} events")
    written = write_events(conn, events)

    counts.users = len(user_rows)
    counts.courses = len(course_rows)
    counts.lessons = len(lesson_rows)
    counts.enrollments = len(enrollment_rows)
    counts.events = len(written)
    return counts


def has_history(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select exists (select 1 from users) and exists (select 1 from learner_events)"
    ).fetchone()
    return bool(row and row[0])
