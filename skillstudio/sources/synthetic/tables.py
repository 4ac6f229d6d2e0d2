"""Rows for the OLTP and truth tables, as numpy columns for ``bulk_load.copy_rows``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from skillstudio.events import Categorical, copy_batches, copy_rows, foreign_keys_checked_once
from skillstudio.sources.synthetic.catalogue import OPTIONS, Catalogue, id_strings
from skillstudio.sources.synthetic.config import LEVELS
from skillstudio.sources.synthetic.learners import Learners
from skillstudio.sources.synthetic.records import COMPLETED, DROPPED, STATUSES, Records

Columns = dict[str, Any]


def _times(us: np.ndarray) -> np.ndarray:
    return np.asarray(us, dtype=np.int64).astype("datetime64[us]")


def _same(value: Any, rows: int) -> Categorical:
    return Categorical(np.zeros(rows, dtype=np.int64), [value])


def write_catalogue(conn: psycopg.Connection, cat: Catalogue) -> np.ndarray:
    """Skills (reusing any with the same slug), courses, lessons, quizzes with their questions,
    prerequisites; returns the skill ids as stored, which differ from the drawn ones where a skill already
    existed."""
    slugs = [name.lower().replace(" ", "-") for name in cat.skill_names]
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into skills (skill_id, slug, name, created_at) values (%s, %s, %s, %s) "
            "on conflict (slug) do nothing",
            [
                (sid, slug, name, cat.created_at)
                for sid, slug, name in zip(id_strings(cat.skill_ids), slugs, cat.skill_names, strict=True)
            ],
        )
    stored: dict[str, Any] = dict(
        conn.execute("select slug, skill_id from skills where slug = any(%s)", (slugs,)).fetchall()
    )
    skill_ids = np.array([np.frombuffer(stored[slug].bytes, dtype=np.uint8) for slug in slugs])

    courses, created = len(cat.course_ids), np.datetime64(cat.created_at.replace(tzinfo=None), "us")
    first, second = (np.array(cat.skill_names)[cat.course_skills[:, i]] for i in range(2))
    levels = np.array(LEVELS)[cat.course_levels]
    copy_rows(
        conn,
        "courses",
        {
            "course_id": cat.course_ids,
            "title": np.array(cat.course_titles),
            "subject": np.array(cat.course_subjects),
            "level": levels,
            "status": _same("published", courses),
            "description": np.char.add(
                np.char.add(np.char.add("A ", levels), " course on "),
                np.char.add(np.char.add(first, " and "), second),
            ),
            "provider": _same("SkillStudio Synthetic", courses),
            "created_at": np.full(courses, created),
            "updated_at": np.full(courses, created),
        },
    )
    lessons = len(cat.lesson_ids)
    titles = [
        f"{cat.course_titles[c]}: lesson {p}"
        for c, p in zip(cat.lesson_course, cat.lesson_position, strict=True)
    ]
    copy_rows(
        conn,
        "lessons",
        {
            "lesson_id": cat.lesson_ids,
            "course_id": cat.course_ids[cat.lesson_course],
            "position": cat.lesson_position.astype(np.int32),
            "title": np.array(titles),
            "estimated_minutes": cat.lesson_minutes.astype(np.int32),
            "activity_type": np.array(cat.lesson_activity),
            "created_at": np.full(lessons, created),
        },
    )
    copy_rows(
        conn,
        "course_skills",
        {
            "course_id": np.repeat(cat.course_ids, cat.course_skills.shape[1], axis=0),
            "skill_id": skill_ids[cat.course_skills.reshape(-1)],
        },
    )
    has = np.flatnonzero(cat.prerequisite >= 0)
    copy_rows(
        conn,
        "course_prerequisites",
        {
            "course_id": cat.course_ids[has],
            "prerequisite_course_id": cat.course_ids[cat.prerequisite[has]],
        },
    )
    quizzes = len(cat.quiz_ids)
    quiz_counts = np.bincount(cat.quiz_course, minlength=courses)
    copy_rows(
        conn,
        "assessments",
        {
            "assessment_id": cat.quiz_ids,
            "course_id": cat.course_ids[cat.quiz_course],
            "title": np.char.add("Quiz ", cat.quiz_number.astype(str)),
            "assessment_type": _same("quiz", quizzes),
            "weight": 1.0 / quiz_counts[cat.quiz_course],
            "created_at": np.full(quizzes, created),
        },
    )
    _write_questions(conn, cat, skill_ids, created)
    return skill_ids


def _write_questions(conn: psycopg.Connection, cat: Catalogue, skill_ids: np.ndarray, created: Any) -> None:
    """The item bank: single-choice questions with the author's difficulty estimate (the hidden item
    parameters stay in ``truth.question_items``), and each quiz's questions in order."""
    questions = len(cat.question_ids)
    course = cat.quiz_course[cat.question_quiz]
    prompts = [
        f"{cat.course_titles[c]}, quiz {cat.quiz_number[q]}, question {p}: {cat.skill_names[s]}"
        for c, q, p, s in zip(
            course, cat.question_quiz, cat.question_position, cat.question_skill, strict=True
        )
    ]
    options = json.dumps([{"id": option, "text": f"Option {option.upper()}"} for option in OPTIONS])
    copy_rows(
        conn,
        "questions",
        {
            "question_id": cat.question_ids,
            "course_id": cat.course_ids[course],
            "skill_id": skill_ids[cat.question_skill],
            "question_type": _same("single_choice", questions),
            "prompt": np.array(prompts),
            "options": _same(options, questions),
            "answer_key": Categorical(
                cat.question_answer, [json.dumps({"correct_options": [o]}) for o in OPTIONS]
            ),
            "difficulty": cat.authored_difficulty,
            "created_at": np.full(questions, created),
            "updated_at": np.full(questions, created),
        },
    )
    copy_rows(
        conn,
        "assessment_questions",
        {
            "assessment_id": cat.quiz_ids[cat.question_quiz],
            "question_id": cat.question_ids,
            "position": cat.question_position.astype(np.int32),
        },
    )


@dataclass
class BatchRows:
    """Rows of every batch, written after the events (one COPY at a time on a connection)."""

    tables: dict[str, list[Columns]] = field(default_factory=dict)

    def add(self, table: str, columns: Columns) -> None:
        self.tables.setdefault(table, []).append(columns)

    def count(self, table: str) -> int:
        return sum(len(next(iter(columns.values()))) for columns in self.tables.get(table, []))

    def write(self, conn: psycopg.Connection) -> None:
        # Rows reference only rows of this run or of the catalogue: checking them with one join per
        # foreign key instead of a lookup per row is what keeps 10 million events within minutes.
        with foreign_keys_checked_once(
            conn, [table for table in self.tables if not table.startswith("truth.")]
        ):
            for table, batches in self.tables.items():
                copy_batches(conn, table, batches)


def batch_rows(
    rows: BatchRows,
    cat: Catalogue,
    skill_ids: np.ndarray,
    learners: Learners,
    records: Records,
    enrollment_ids: np.ndarray,
    practice: np.ndarray,
) -> None:
    """Users, enrollments, attempts and the truth about one batch of learners."""
    count, enrolled = len(learners), records.count
    numbers = np.arange(learners.first_number, learners.first_number + count)
    rows.add(
        "users",
        {
            "user_id": learners.ids,
            "email": np.char.add(
                np.char.add("learner", np.char.zfill(numbers.astype(str), 6)), "@learners.skillstudio.test"
            ),
            "display_name": np.char.add("Learner ", numbers.astype(str)),
            "role": _same("learner", count),
            "created_at": _times(learners.signup_us),
        },
    )
    status = records.status[:enrolled]
    ended = _times(records.ended_at[:enrolled])
    outcome = records.outcome()
    rows.add(
        "enrollments",
        {
            "enrollment_id": enrollment_ids,
            "user_id": learners.ids[records.learner[:enrolled]],
            "course_id": cat.course_ids[records.course[:enrolled]],
            "status": Categorical(status, STATUSES),
            "enrolled_at": _times(records.enrolled_at[:enrolled]),
            "completed_at": np.ma.masked_array(ended, mask=status != COMPLETED),
            "unregistered_at": np.ma.masked_array(ended, mask=status != DROPPED),
            "outcome": np.ma.masked_array(outcome, mask=outcome == ""),
        },
    )
    attempts = Records.joined(records.attempts)
    if len(attempts["quiz"]):
        rows.add(
            "assessment_attempts",
            {
                "attempt_id": attempts["id"],
                "assessment_id": cat.quiz_ids[attempts["quiz"]],
                "user_id": learners.ids[attempts["learner"]],
                "enrollment_id": enrollment_ids[attempts["enrollment"]],
                "attempt_number": attempts["number"].astype(np.int32),
                "status": _same("graded", len(attempts["quiz"])),
                "started_at": _times(attempts["started"]),
                "submitted_at": _times(attempts["submitted"]),
                "score_scaled": attempts["score"],
            },
        )
    answers = Records.joined(records.answers)
    if len(answers["question"]):
        attempt, question = answers["attempt"].astype(np.int64), answers["question"].astype(np.int64)
        correct = answers["correct"].astype(bool)
        # The option chosen: the key when right, else one of the others, fixed by learner and question.
        key = cat.question_answer[question]
        wrong = (key + 1 + (attempts["learner"][attempt].astype(np.int64) + question) % 3) % len(OPTIONS)
        rows.add(
            "attempt_items",
            {
                "attempt_id": attempts["id"][attempt],
                "question_id": cat.question_ids[question],
                "position": answers["position"].astype(np.int32),
                "served_at": _times(answers["served"]),
                "response": Categorical(
                    np.where(correct, key, wrong), [json.dumps({"value": o}) for o in OPTIONS]
                ),
                "is_correct": correct,
                "answered_at": _times(answers["answered"]),
            },
        )
    dropouts = Records.joined(records.dropouts)
    if len(dropouts["enrollment"]):
        enrollment = dropouts["enrollment"].astype(np.int64)
        rows.add(
            "truth.dropouts",
            {
                "enrollment_id": enrollment_ids[enrollment],
                "learner_id": learners.ids[records.learner[enrollment]],
                "course_id": cat.course_ids[records.course[enrollment]],
                "dropped_at": _times(dropouts["at"]),
                "reason": dropouts["reason"],
                "recent_failures": dropouts["failures"],
                "hazard": dropouts["hazard"],
            },
        )
    learner, skill = np.nonzero(practice)
    final = learners.initial_theta + learners.learning_rate * np.log1p(practice)
    rows.add(
        "truth.learner_skill_ability",
        {
            "learner_id": learners.ids[learner],
            "skill_id": skill_ids[skill],
            "initial_theta": learners.initial_theta[learner, skill],
            "learning_rate": learners.learning_rate[learner, skill],
            "practice": practice[learner, skill],
            "final_theta": final[learner, skill],
        },
    )
    rows.add(
        "truth.learner_taste",
        {
            "learner_id": learners.ids,
            "taste": learners.taste,
            "engagement": learners.engagement,
            "weekend_effect": learners.weekend_effect,
            "preferred_hour": learners.preferred_hour,
            "dropout_propensity": learners.dropout_propensity,
        },
    )
