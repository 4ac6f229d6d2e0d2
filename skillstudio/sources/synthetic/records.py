"""Enrollments, quiz attempts, their answers and dropouts of one batch, kept as arrays while the simulation
runs."""

from __future__ import annotations

import numpy as np

from skillstudio.sources.synthetic.catalogue import random_ids

ACTIVE, COMPLETED, DROPPED = 0, 1, 2
STATUSES = ("active", "completed", "dropped")
# Mean first-attempt quiz score from which a completed course earns a distinction.
DISTINCTION = 0.85


class Records:
    """Enrollment ``i`` is row ``i`` of the enrollment arrays; attempts, answers and dropouts are appended.
    An answer names its attempt by the attempt's row in the joined attempt arrays."""

    def __init__(self, capacity: int) -> None:
        self.count = 0
        self.learner = np.zeros(capacity, dtype=np.int64)
        self.course = np.zeros(capacity, dtype=np.int64)
        self.enrolled_at = np.zeros(capacity, dtype=np.int64)
        self.status = np.zeros(capacity, dtype=np.int8)
        self.ended_at = np.zeros(capacity, dtype=np.int64)
        self.first_scores = np.zeros(capacity)
        self.first_quizzes = np.zeros(capacity)
        self.attempts: dict[str, list[np.ndarray]] = {
            name: []
            for name in ("id", "quiz", "learner", "enrollment", "number", "started", "submitted", "score")
        }
        self.attempt_count = 0
        self.answers: dict[str, list[np.ndarray]] = {
            name: [] for name in ("attempt", "question", "position", "served", "answered", "correct")
        }
        self.dropouts: dict[str, list[np.ndarray]] = {
            name: [] for name in ("enrollment", "at", "reason", "failures", "hazard")
        }

    def enroll(self, learner: np.ndarray, course: np.ndarray, at: np.ndarray) -> np.ndarray:
        index = np.arange(self.count, self.count + len(learner))
        self.learner[index], self.course[index], self.enrolled_at[index] = learner, course, at
        self.count += len(learner)
        return index

    def attempt(
        self,
        rng: np.random.Generator,
        quiz: np.ndarray,
        learner: np.ndarray,
        enrollment: np.ndarray,
        number: np.ndarray,
        started: np.ndarray,
        submitted: np.ndarray,
        score: np.ndarray,
    ) -> np.ndarray:
        """Append attempts; returns their rows (for ``answer``)."""
        values = {
            "id": random_ids(rng, len(quiz)),
            "quiz": quiz,
            "learner": learner,
            "enrollment": enrollment,
            "number": number,
            "started": started,
            "submitted": submitted,
            "score": score,
        }
        for name, value in values.items():
            self.attempts[name].append(value)
        first = number == 1
        np.add.at(self.first_scores, enrollment[first], score[first])
        np.add.at(self.first_quizzes, enrollment[first], 1.0)
        rows = np.arange(self.attempt_count, self.attempt_count + len(quiz))
        self.attempt_count += len(quiz)
        return rows

    def answer(
        self,
        attempt: np.ndarray,
        question: np.ndarray,
        position: int,
        served: np.ndarray,
        answered: np.ndarray,
        correct: np.ndarray,
    ) -> None:
        """Questions at ``position`` (from 1) of ``attempt`` rows, served and answered at those times."""
        values = {
            "attempt": attempt,
            "question": question,
            "position": np.full(len(attempt), position, dtype=np.int32),
            "served": served,
            "answered": answered,
            "correct": correct,
        }
        for name, value in values.items():
            self.answers[name].append(value)

    def complete(self, enrollment: np.ndarray, at: np.ndarray) -> None:
        self.status[enrollment], self.ended_at[enrollment] = COMPLETED, at

    def drop(
        self,
        enrollment: np.ndarray,
        at: np.ndarray,
        reason: np.ndarray,
        failures: np.ndarray,
        hazard: np.ndarray,
    ) -> None:
        self.status[enrollment], self.ended_at[enrollment] = DROPPED, at
        values = {
            "enrollment": enrollment,
            "at": at,
            "reason": reason,
            "failures": failures,
            "hazard": hazard,
        }
        for name, value in values.items():
            self.dropouts[name].append(np.asarray(value))

    def outcome(self) -> np.ndarray:
        """pass / distinction for completed courses, withdrawn for dropped ones, '' while active."""
        count = self.count
        mean_first = self.first_scores[:count] / np.maximum(self.first_quizzes[:count], 1.0)
        completed = np.where(mean_first >= DISTINCTION, "distinction", "pass")
        status = self.status[:count]
        return np.where(status == COMPLETED, completed, np.where(status == DROPPED, "withdrawn", ""))

    @staticmethod
    def joined(chunks: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) if parts else np.empty(0) for name, parts in chunks.items()}
