"""The generated catalogue: skills, courses with tastes, lessons, quizzes of IRT items, prerequisites.

Everything is an array indexed by position (course 0..C-1, lesson 0..L-1, ...) so that the simulation
can look things up for thousands of learners at once; ids are 16-byte rows, uuid4-shaped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from skillstudio.sources.synthetic.config import (
    LESSON_ACTIVITIES,
    LEVELS,
    SUBJECT_SKILLS,
    SUBJECTS,
    TOPICS,
    GeneratorConfig,
)

LESSON, QUIZ = 0, 1
SKILLS_PER_COURSE = 2
# Every generated question is single choice among these options.
OPTIONS = ("a", "b", "c", "d")
# How far an author's difficulty estimate (what the item bank stores) strays from the hidden difficulty.
AUTHORING_ERROR = 0.5


def random_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` × 16 bytes shaped like uuid4 (version and variant bits set), from the seeded stream."""
    ids = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    ids[:, 6] = (ids[:, 6] & 0x0F) | 0x40
    ids[:, 8] = (ids[:, 8] & 0x3F) | 0x80
    return ids


def id_strings(ids: np.ndarray) -> list[str]:
    return [str(uuid.UUID(bytes=row.tobytes())) for row in ids]


def day_start_us(day: date) -> int:
    """Microseconds since the Unix epoch of midnight UTC starting ``day``."""
    return (day - date(1970, 1, 1)).days * 86_400_000_000


@dataclass(frozen=True)
class Catalogue:
    created_at: datetime
    skill_ids: np.ndarray
    skill_names: list[str]
    course_ids: np.ndarray
    course_titles: list[str]
    course_subjects: list[str]
    course_levels: np.ndarray
    course_taste: np.ndarray
    popularity: np.ndarray
    course_skills: np.ndarray  # (courses, SKILLS_PER_COURSE) skill indices
    prerequisite: np.ndarray  # course index, -1 for none
    lesson_ids: np.ndarray
    lesson_course: np.ndarray
    lesson_position: np.ndarray
    lesson_minutes: np.ndarray
    lesson_activity: list[str]
    quiz_ids: np.ndarray
    quiz_course: np.ndarray
    quiz_number: np.ndarray
    quiz_questions: np.ndarray  # (quizzes, max questions) question indices, -1 padding
    quiz_size: np.ndarray
    question_ids: np.ndarray
    question_quiz: np.ndarray
    question_position: np.ndarray
    question_skill: np.ndarray
    difficulty: np.ndarray
    discrimination: np.ndarray
    question_answer: np.ndarray  # index into OPTIONS of each question's correct option
    authored_difficulty: np.ndarray  # the item bank's difficulty: the author's estimate, one decimal
    step_kind: np.ndarray  # (courses, max steps): LESSON or QUIZ, -1 past the end
    step_item: np.ndarray  # lesson or quiz index of each step
    step_count: np.ndarray
    # Event objects: every course, lesson, quiz and question id as text, in that order.
    object_strings: list[str]
    lesson_object: int
    quiz_object: int
    question_object: int


def build_catalogue(config: GeneratorConfig, first_day: date) -> Catalogue:
    """Draw the catalogue from its own stream of the seed, independent of the number of learners."""
    rng = np.random.default_rng([config.seed, 0])
    model = config.model
    courses = config.courses
    skill_names = [name for subject in SUBJECTS for name in SUBJECT_SKILLS[subject]]
    skill_ids = random_ids(rng, len(skill_names))
    course_ids = random_ids(rng, courses)
    course_taste = rng.normal(size=(courses, config.taste_factors))
    popularity = rng.normal(scale=0.7, size=courses)
    subject_index = np.argmax(course_taste[:, : len(SUBJECTS)], axis=1) % len(SUBJECTS)
    levels = np.arange(courses) % len(LEVELS)
    per_subject = len(SUBJECT_SKILLS[SUBJECTS[0]])
    course_skills = np.array(
        [
            subject * per_subject + rng.choice(per_subject, SKILLS_PER_COURSE, replace=False)
            for subject in subject_index
        ]
    ).reshape(courses, SKILLS_PER_COURSE)
    prerequisite = np.full(courses, -1)
    for course in range(courses):
        candidates = np.flatnonzero((subject_index == subject_index[course]) & (levels == levels[course] - 1))
        if len(candidates) and rng.random() < model.prerequisite_share:
            prerequisite[course] = rng.choice(candidates)

    lesson_counts = rng.integers(4, 13, size=courses)
    lesson_course = np.repeat(np.arange(courses), lesson_counts)
    lesson_position = np.concatenate([np.arange(1, count + 1) for count in lesson_counts])
    lesson_ids = random_ids(rng, len(lesson_course))
    lesson_minutes = rng.integers(5, 46, size=len(lesson_course))
    lesson_activity = [
        LESSON_ACTIVITIES[i] for i in rng.integers(len(LESSON_ACTIVITIES), size=len(lesson_course))
    ]

    quiz_counts = np.maximum(1, lesson_counts // model.lessons_per_quiz)
    quiz_course = np.repeat(np.arange(courses), quiz_counts)
    quiz_number = np.concatenate([np.arange(1, count + 1) for count in quiz_counts])
    quiz_ids = random_ids(rng, len(quiz_course))
    low, high = model.questions_per_quiz
    quiz_size = rng.integers(low, high + 1, size=len(quiz_course))
    question_quiz = np.repeat(np.arange(len(quiz_course)), quiz_size)
    question_position = np.concatenate([np.arange(1, size + 1) for size in quiz_size])
    question_course = quiz_course[question_quiz]
    question_skill = course_skills[question_course, rng.integers(SKILLS_PER_COURSE, size=len(question_quiz))]
    level_difficulty = np.asarray(model.difficulty_by_level)[levels[question_course]]
    difficulty = level_difficulty + rng.normal(scale=0.7, size=len(question_quiz))
    discrimination = rng.lognormal(mean=0.1, sigma=0.25, size=len(question_quiz))
    question_ids = random_ids(rng, len(question_quiz))
    quiz_questions = np.full((len(quiz_course), high), -1)
    quiz_questions[question_quiz, question_position - 1] = np.arange(len(question_quiz))

    # Authoring has its own stream: the catalogue above stays what it was without it.
    authoring = np.random.default_rng([config.seed, 2])
    question_answer = authoring.integers(len(OPTIONS), size=len(question_quiz))
    authored_difficulty = np.round(
        np.clip(difficulty + authoring.normal(scale=AUTHORING_ERROR, size=len(question_quiz)), -6.0, 6.0), 1
    )

    step_kind, step_item = _course_steps(lesson_counts, quiz_counts)
    object_strings = id_strings(np.concatenate([course_ids, lesson_ids, quiz_ids, question_ids]))
    titles = [f"{SUBJECTS[s]} {TOPICS[i % len(TOPICS)]} {i + 1}" for i, s in enumerate(subject_index)]
    return Catalogue(
        created_at=datetime.combine(first_day - timedelta(days=30), time(), tzinfo=UTC),
        skill_ids=skill_ids,
        skill_names=skill_names,
        course_ids=course_ids,
        course_titles=titles,
        course_subjects=[SUBJECTS[s] for s in subject_index],
        course_levels=levels,
        course_taste=course_taste,
        popularity=popularity,
        course_skills=course_skills,
        prerequisite=prerequisite,
        lesson_ids=lesson_ids,
        lesson_course=lesson_course,
        lesson_position=lesson_position,
        lesson_minutes=lesson_minutes,
        lesson_activity=lesson_activity,
        quiz_ids=quiz_ids,
        quiz_course=quiz_course,
        quiz_number=quiz_number,
        quiz_questions=quiz_questions,
        quiz_size=quiz_size,
        question_ids=question_ids,
        question_quiz=question_quiz,
        question_position=question_position,
        question_skill=question_skill,
        difficulty=difficulty,
        discrimination=discrimination,
        question_answer=question_answer,
        authored_difficulty=authored_difficulty,
        step_kind=step_kind,
        step_item=step_item,
        step_count=lesson_counts + quiz_counts,
        object_strings=object_strings,
        lesson_object=courses,
        quiz_object=courses + len(lesson_course),
        question_object=courses + len(lesson_course) + len(quiz_course),
    )


def _course_steps(lesson_counts: np.ndarray, quiz_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lessons in order with each quiz after its share of them; the last quiz closes the course."""
    courses = len(lesson_counts)
    width = int((lesson_counts + quiz_counts).max())
    kind = np.full((courses, width), -1)
    item = np.full((courses, width), -1)
    first_lesson = np.concatenate([[0], np.cumsum(lesson_counts)[:-1]])
    first_quiz = np.concatenate([[0], np.cumsum(quiz_counts)[:-1]])
    for course in range(courses):
        lessons, quizzes = int(lesson_counts[course]), int(quiz_counts[course])
        quiz_after = {round((q + 1) * lessons / quizzes): q for q in range(quizzes)}
        step = 0
        for lesson in range(1, lessons + 1):
            kind[course, step], item[course, step] = LESSON, first_lesson[course] + lesson - 1
            step += 1
            if lesson in quiz_after:
                kind[course, step], item[course, step] = QUIZ, first_quiz[course] + quiz_after[lesson]
                step += 1
    return kind, item
