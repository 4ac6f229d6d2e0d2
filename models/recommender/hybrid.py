"""The second-generation recommender: collaborative, content and goal-gap scores blended, with reasons.

Four signals, each scaled to [0, 1] per learner so that one blend of weights means the same for everyone:

``collaborative``
    The ALS score (:class:`models.recommender.model.CourseRecommender`), min-max scaled over the courses
    the model knows. Zero for a learner the model has not seen and for a course published since training.
``content``
    Cosine similarity between a course's content vector (its skills, subject and level) and the mean vector
    of the learner's courses. It needs no interaction with the course, so new courses get it, and only one
    course of the learner's, so new learners get it after their first enrolment.
``gap``
    The share of the learner's goal gap (``target - current`` summed over the goals' skills) that the
    course teaches. Zero without an active goal.
``popularity``
    ``log1p(learners) / log1p(max learners)``: what everyone takes, the cold-start answer.

A course's score is ``Σ weight × signal``. The collaborative, content and popularity weights are chosen
by :func:`models.recommender.evaluate.choose_weights` on a validation split carved out of the training
rows only; the gap weight is a product decision (:data:`GAP_WEIGHT`), since no history records the goals
learners had when they chose a course, so no offline split can measure it without leaking the present
into the past.

Each recommended course carries reasons: every signal whose weighted share of the score is at least
:data:`REASON_SHARE`, largest first, in plain words ("closes your gap in SQL: level 3 → 6", "because you
finished Python Basics", "popular with learners like you", "popular on SkillStudio").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.recommender.model import CourseRecommender

SIGNALS = ("collaborative", "content", "gap", "popularity")
# A stated goal outranks taste: a course closing the whole gap beats one that only fits the learner's
# history perfectly (collaborative + content + popularity at most 1.35 with the default weights).
GAP_WEIGHT = 2.0
REASON_SHARE = 0.25
# Skills weigh more than the subject, and the subject more than the level: two SQL courses at different
# levels are closer than two beginner courses on unrelated subjects.
SKILL_WEIGHT, SUBJECT_WEIGHT, LEVEL_WEIGHT = 1.0, 0.7, 0.3


@dataclass(frozen=True)
class Weights:
    """Weights of the four signals; training chooses them, the defaults serve older models."""

    collaborative: float = 1.0
    content: float = 0.25
    gap: float = GAP_WEIGHT
    popularity: float = 0.1

    def as_array(self) -> np.ndarray:
        return np.array([self.collaborative, self.content, self.gap, self.popularity], dtype=np.float64)

    @classmethod
    def from_array(cls, values: Sequence[float]) -> Weights:
        if len(values) != len(SIGNALS):
            raise ValueError(f"expected {len(SIGNALS)} weights, got {len(values)}")
        if any(value < 0 for value in values):
            raise ValueError("weights must be >= 0")
        return cls(*(float(value) for value in values))


@dataclass(frozen=True)
class Catalog:
    """What the content signal and the reasons know of each course: its subject, level, skills and title.

    Attributes
    ----------
    course_ids : sequence of str
        One entry per course; the column order of every matrix built from this catalogue.
    subjects, levels : sequence of str
        Free text, compared case-insensitively.
    skills : sequence of collections of str
        Skill ids taught by each course (may be empty).
    titles : mapping of course id to str, optional
        For reasons; a course without a title is named by its id.
    skill_names : mapping of skill id to str, optional
        For reasons; a skill without a name is named by its id.
    """

    course_ids: Sequence[str]
    subjects: Sequence[str]
    levels: Sequence[str]
    skills: Sequence[Collection[str]]
    titles: Mapping[str, str] | None = None
    skill_names: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        n = len(self.course_ids)
        if not len(self.subjects) == len(self.levels) == len(self.skills) == n:
            raise ValueError("subjects, levels and skills must have one entry per course id")

    @classmethod
    def from_frames(cls, courses: pd.DataFrame, course_skills: pd.DataFrame) -> Catalog:
        """Build from ``courses`` (``course_id, title, subject, level``) and ``course_skills``
        (``course_id, skill_id, skill_name``), as the pipeline and serving read them."""
        skills_of: dict[str, list[str]] = {}
        for course_id, skill_id in zip(
            course_skills["course_id"].astype(str), course_skills["skill_id"].astype(str), strict=True
        ):
            skills_of.setdefault(course_id, []).append(skill_id)
        ids = courses["course_id"].astype(str).tolist()
        return cls(
            course_ids=ids,
            subjects=courses["subject"].fillna("").astype(str).tolist(),
            levels=courses["level"].fillna("").astype(str).tolist(),
            skills=[skills_of.get(course_id, []) for course_id in ids],
            titles=dict(zip(ids, courses["title"].astype(str), strict=True)),
            skill_names=dict(
                zip(
                    course_skills["skill_id"].astype(str),
                    course_skills["skill_name"].astype(str),
                    strict=True,
                )
            ),
        )

    def title(self, course_id: str) -> str:
        return (self.titles or {}).get(course_id, course_id)

    def skill_name(self, skill_id: str) -> str:
        return (self.skill_names or {}).get(skill_id, skill_id)


@dataclass(frozen=True)
class Gap:
    """One skill of a learner's goal gap: the current level and the goal's target (1–10 scale)."""

    current: float
    target: float

    @property
    def size(self) -> float:
        return max(0.0, self.target - self.current)


@dataclass(frozen=True)
class Explained:
    """One recommended course with its score, its four signals and the reasons derived from them."""

    course_id: str
    score: float
    signals: dict[str, float]
    reasons: list[tuple[str, str]]


def content_vectors(catalog: Catalog) -> sp.csr_matrix:
    """Unit-length content vectors, one row per course: skills, subject and level one-hot, weighted.

    Parameters
    ----------
    catalog : Catalog
        The courses to describe.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``len(course_ids) × features``, non-negative, rows of length 1 (or 0 for a course with no skill,
        subject or level), so the dot product of two rows is their cosine similarity.
    """
    features: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []

    def add(row: int, feature: str, weight: float) -> None:
        rows.append(row)
        columns.append(features.setdefault(feature, len(features)))
        values.append(weight)

    for row, (subject, level, skills) in enumerate(
        zip(catalog.subjects, catalog.levels, catalog.skills, strict=True)
    ):
        # Spread the skills' weight over them, so a course with many skills is not closer to everything.
        for skill_id in set(skills):
            add(row, f"skill:{skill_id}", SKILL_WEIGHT / np.sqrt(len(set(skills))))
        if subject:
            add(row, f"subject:{subject.strip().lower()}", SUBJECT_WEIGHT)
        if level:
            add(row, f"level:{level.strip().lower()}", LEVEL_WEIGHT)
    matrix = sp.csr_matrix(
        (np.asarray(values, dtype=np.float64), (rows, columns)),
        shape=(len(catalog.course_ids), max(len(features), 1)),
    )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ matrix)


def _min_max(scores: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Rows scaled to [0, 1] over the ``known`` columns; unknown columns are 0."""
    out = np.zeros_like(scores, dtype=np.float64)
    if not known.any():
        return out
    part = scores[:, known]
    low, high = part.min(axis=1, keepdims=True), part.max(axis=1, keepdims=True)
    span = np.where(high - low > 0, high - low, 1.0)
    out[:, known] = (part - low) / span
    return out


class HybridRanker:
    """Blends the signals for a fixed catalogue; built per training split or per serving snapshot.

    Parameters
    ----------
    recommender : CourseRecommender
        The collaborative model; its courses need not match the catalogue (unknown ones score 0).
    catalog : Catalog
        The courses that may be recommended, in column order.
    weights : Weights
        How much each signal counts.
    """

    def __init__(self, recommender: CourseRecommender, catalog: Catalog, weights: Weights) -> None:
        self.recommender = recommender
        self.catalog = catalog
        self.weights = weights
        self.course_ids = np.asarray(list(catalog.course_ids), dtype=str)
        self._column_of = {course_id: column for column, course_id in enumerate(self.course_ids.tolist())}
        self._vectors = content_vectors(catalog)
        als_column = {course_id: column for column, course_id in enumerate(recommender.course_ids.tolist())}
        self._als_columns = np.array(
            [als_column.get(course_id, -1) for course_id in self.course_ids.tolist()], dtype=np.intp
        )  # an index even when the catalogue is empty (a float array then)
        self._known = self._als_columns >= 0
        popularity = np.zeros(len(self.course_ids))
        popularity[self._known] = recommender.popularity[self._als_columns[self._known]]
        top = np.log1p(popularity.max()) if len(popularity) and popularity.max() > 0 else 1.0
        self._popularity = np.log1p(popularity) / top
        skill_column: dict[str, int] = {}
        pairs = [
            (row, skill_column.setdefault(skill_id, len(skill_column)))
            for row, skills in enumerate(catalog.skills)
            for skill_id in set(skills)
        ]
        self._skill_column = skill_column
        self._teaches = sp.csr_matrix(
            (np.ones(len(pairs)), ([row for row, _ in pairs], [column for _, column in pairs])),
            shape=(len(self.course_ids), max(len(skill_column), 1)),
        )

    def signals(
        self,
        learner_ids: Sequence[str],
        histories: Sequence[Collection[str]],
        gaps: Sequence[Mapping[str, Gap]] | None = None,
    ) -> np.ndarray:
        """The four signals for a batch of learners: an array ``learners × courses × 4``.

        ``histories`` are each learner's courses (any not in the catalogue are ignored for content);
        ``gaps`` their goal gaps by skill id (``None``: no goals).
        """
        n, m = len(learner_ids), len(self.course_ids)
        out = np.zeros((n, m, len(SIGNALS)))
        # Collaborative: the learners the model knows get their ALS scores over the courses it knows.
        rows = [self.recommender.row_of(learner_id) for learner_id in learner_ids]
        known_learners = np.array([row is not None for row in rows])
        if known_learners.any() and self._known.any():
            factors = self.recommender.learner_factors[[row for row in rows if row is not None]]
            raw = np.zeros((int(known_learners.sum()), m))
            raw[:, self._known] = factors @ self.recommender.course_factors[self._als_columns[self._known]].T
            out[known_learners, :, 0] = _min_max(raw, self._known)
        # Content: cosine with the mean vector of the learner's courses in the catalogue.
        pairs = [
            (i, self._column_of[course_id])
            for i, history in enumerate(histories)
            for course_id in history
            if course_id in self._column_of
        ]
        if pairs:
            taken = sp.csr_matrix(
                (np.ones(len(pairs)), ([i for i, _ in pairs], [c for _, c in pairs])), shape=(n, m)
            )
            profiles = (taken @ self._vectors).toarray()
            norms = np.linalg.norm(profiles, axis=1, keepdims=True)
            profiles = np.divide(profiles, norms, out=np.zeros_like(profiles), where=norms > 0)
            out[:, :, 1] = np.clip(np.asarray(self._vectors @ profiles.T).T, 0.0, 1.0)
        # Gap: the share of the learner's total gap that each course teaches.
        if gaps is not None:
            needs = np.zeros((n, self._teaches.shape[1]))
            for i, gap in enumerate(gaps):
                total = sum(skill_gap.size for skill_gap in gap.values())
                for skill_id, skill_gap in gap.items():
                    column = self._skill_column.get(skill_id)
                    if column is not None and total > 0:
                        needs[i, column] = skill_gap.size / total
            out[:, :, 2] = np.asarray(self._teaches @ needs.T).T
        out[:, :, 3] = self._popularity[None, :]
        return out

    def top_k(
        self,
        learner_ids: Sequence[str],
        histories: Sequence[Collection[str]],
        *,
        exclude: Sequence[Collection[str]] | None = None,
        gaps: Sequence[Mapping[str, Gap]] | None = None,
        k: int = 10,
        weights: Weights | None = None,
    ) -> list[list[str]]:
        """Best ``k`` course ids per learner, never one of ``exclude`` (default: the learner's history).

        Ties keep catalogue order, so results are reproducible.
        """
        signals = self.signals(learner_ids, histories, gaps)
        return self.rank_signals(
            signals, histories if exclude is None else exclude, k, weights or self.weights
        )

    def rank_signals(
        self, signals: np.ndarray, exclude: Sequence[Collection[str]], k: int, weights: Weights
    ) -> list[list[str]]:
        scores = signals @ weights.as_array()
        for i, excluded in enumerate(exclude):
            columns = [self._column_of[c] for c in excluded if c in self._column_of]
            scores[i, columns] = -np.inf
        ranked = []
        for i in range(scores.shape[0]):
            order = np.argsort(-scores[i], kind="stable")
            ranked.append([str(self.course_ids[j]) for j in order[:k] if np.isfinite(scores[i, j])])
        return ranked

    def explain(
        self,
        learner_id: str,
        history: Collection[str],
        *,
        completed: Collection[str] = (),
        exclude: Collection[str] = (),
        gaps: Mapping[str, Gap] | None = None,
        k: int = 10,
    ) -> list[Explained]:
        """One learner's top ``k`` with their scores, signals and reasons (best first)."""
        signals = self.signals([learner_id], [history], None if gaps is None else [gaps])[0]
        weights = self.weights.as_array()
        scores = signals @ weights
        scores[[self._column_of[c] for c in set(history) | set(exclude) if c in self._column_of]] = -np.inf
        order = [j for j in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[j])]
        known = self.recommender.row_of(learner_id) is not None
        taken = [c for c in history if c in self._column_of]
        return [
            Explained(
                course_id=str(self.course_ids[j]),
                score=float(scores[j]),
                signals={name: float(value) for name, value in zip(SIGNALS, signals[j], strict=True)},
                reasons=self._reasons(j, signals[j] * weights, known, taken, set(completed), gaps or {}),
            )
            for j in order
        ]

    def _reasons(
        self,
        column: int,
        contributions: np.ndarray,
        known: bool,
        taken: list[str],
        completed: set[str],
        gaps: Mapping[str, Gap],
    ) -> list[tuple[str, str]]:
        total = contributions.sum()
        reasons: list[tuple[str, str]] = []
        for index in np.argsort(-contributions, kind="stable"):
            if total <= 0 or contributions[index] < REASON_SHARE * total:
                break
            text = self._reason_text(SIGNALS[index], column, known, taken, completed, gaps)
            if text is not None:
                reasons.append((SIGNALS[index], text))
        return reasons or [("popularity", "popular on SkillStudio")]

    def _reason_text(
        self,
        signal: str,
        column: int,
        known: bool,
        taken: list[str],
        completed: set[str],
        gaps: Mapping[str, Gap],
    ) -> str | None:
        if signal == "collaborative":
            return "popular with learners like you" if known else None
        if signal == "content" and taken:
            rows = [self._column_of[c] for c in taken]
            similarity = np.asarray(self._vectors[rows] @ self._vectors[column].T.toarray()).ravel()
            # The closest finished course makes the best reason; else the closest course being taken.
            ranked = sorted(
                zip(similarity, taken, strict=True), key=lambda pair: (pair[1] not in completed, -pair[0])
            )
            closest = ranked[0][1]
            verb = "finished" if closest in completed else "are taking"
            return f"because you {verb} {self.catalog.title(closest)}"
        if signal == "gap":
            skills = [s for s in self.catalog.skills[column] if s in gaps and gaps[s].size > 0]
            if not skills:
                return None
            skill_id = max(skills, key=lambda s: (gaps[s].size, s))
            gap = gaps[skill_id]
            return (
                f"closes your gap in {self.catalog.skill_name(skill_id)}: "
                f"level {gap.current:g} → {gap.target:g}"
            )
        if signal == "popularity":
            return "popular on SkillStudio"
        return None
