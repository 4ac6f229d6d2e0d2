"""Learner × course interaction features for the course recommender.

The recommender learns from implicit feedback: a learner who enrolled in a course and generated many
events is treated as a confident positive, one who merely enrolled as a weak positive, and every
course the learner never touched as unobserved (not as a negative).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

INTERACTION_COLUMNS = ("learner_id", "course_id", "event_count", "first_at")

# What training reads: the interactions mart, and the catalogue's content for the hybrid's content signal.
INTERACTIONS_QUERY = (
    "select learner_id::text as learner_id, course_id::text as course_id, event_count, first_at "
    "from analytics.fct_learner_course_interactions"
)
COURSES_QUERY = "select course_id::text as course_id, title, subject, level from courses order by course_id"
COURSE_SKILLS_QUERY = (
    "select cs.course_id::text as course_id, cs.skill_id::text as skill_id, s.name as skill_name "
    "from course_skills cs join skills s on s.skill_id = cs.skill_id order by cs.course_id, s.name"
)


@dataclass(frozen=True)
class InteractionMatrix:
    """Confidence weights of learners (rows) for courses (columns).

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        ``len(learner_ids) × len(course_ids)`` float32 matrix; absent entries are unobserved pairs.
    learner_ids : numpy.ndarray
        Unicode learner ids, one per row, sorted.
    course_ids : numpy.ndarray
        Unicode course ids, one per column.
    """

    matrix: sp.csr_matrix
    learner_ids: np.ndarray
    course_ids: np.ndarray


def _check_columns(interactions: pd.DataFrame, required: Sequence[str]) -> None:
    missing = [column for column in required if column not in interactions.columns]
    if missing:
        raise ValueError(f"interactions lack required columns: {missing}")


def build_interaction_matrix(
    interactions: pd.DataFrame, *, course_ids: Sequence[str] | None = None
) -> InteractionMatrix:
    """Turn interaction rows into a sparse confidence matrix.

    Parameters
    ----------
    interactions : pandas.DataFrame
        Columns ``learner_id``, ``course_id`` and ``event_count`` (int ≥ 0); other columns are ignored.
        Repeated (learner, course) rows are merged by summing their event counts.
    course_ids : sequence of str, optional
        Fixed column index. Pass the same ids for train and test matrices so that column ``j`` means the
        same course in both. Defaults to the sorted distinct courses in ``interactions``.

    Returns
    -------
    InteractionMatrix
        Weights ``1 + log1p(event_count)``: an enrollment without events still counts as a positive,
        and the log keeps a few very active learners from dominating the factorisation.

    Raises
    ------
    ValueError
        If a column is missing, an event count is negative, or a course is not in ``course_ids``.
    """
    _check_columns(interactions, ("learner_id", "course_id", "event_count"))
    if (interactions["event_count"] < 0).any():
        raise ValueError("event_count must be >= 0")

    pairs = (
        interactions.astype({"learner_id": str, "course_id": str})
        .groupby(["learner_id", "course_id"], as_index=False, sort=True)["event_count"]
        .sum()
    )
    learner_index = np.array(sorted(pairs["learner_id"].unique()), dtype=str)
    if course_ids is None:
        course_index = np.array(sorted(pairs["course_id"].unique()), dtype=str)
    else:
        course_index = np.asarray(list(course_ids), dtype=str)
        if len(set(course_index.tolist())) != len(course_index):
            raise ValueError("course_ids must be unique")

    column_of = {course_id: column for column, course_id in enumerate(course_index.tolist())}
    unknown = sorted(set(pairs["course_id"]) - column_of.keys())
    if unknown:
        raise ValueError(f"{len(unknown)} courses are not in course_ids, e.g. {unknown[:5]}")

    rows = np.searchsorted(learner_index, pairs["learner_id"].to_numpy(dtype=str))
    columns = pairs["course_id"].map(column_of).to_numpy(dtype=np.int64)
    weights = (1.0 + np.log1p(pairs["event_count"].to_numpy(dtype=np.float64))).astype(np.float32)
    matrix = sp.csr_matrix(
        (weights, (rows, columns)), shape=(len(learner_index), len(course_index)), dtype=np.float32
    )
    return InteractionMatrix(matrix=matrix, learner_ids=learner_index, course_ids=course_index)


def time_split(interactions: pd.DataFrame, *, min_history: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each learner's latest course, mimicking "what will they take next?".

    Parameters
    ----------
    interactions : pandas.DataFrame
        Columns ``learner_id``, ``course_id``, ``event_count`` and ``first_at``.
    min_history : int, default 2
        Learners with fewer distinct courses stay wholly in train: with nothing left to learn from,
        their held-out course would only measure the cold-start fallback.

    Returns
    -------
    train, test : pandas.DataFrame
        Disjoint partitions of the input rows, with their original columns and index. The test course of
        a learner is the one with the latest ``first_at``; ties go to the greatest ``course_id`` so that
        the split does not depend on row order.
    """
    if min_history < 2:
        raise ValueError("min_history must be >= 2 so that every test learner keeps a training course")
    _check_columns(interactions, INTERACTION_COLUMNS)

    per_course = (
        interactions.groupby(["learner_id", "course_id"], as_index=False, sort=False)["first_at"]
        .min()
        .sort_values(["learner_id", "first_at", "course_id"], kind="stable")
    )
    history = per_course.groupby("learner_id")["course_id"].transform("size")
    latest = per_course[history >= min_history].groupby("learner_id").tail(1)

    held_out = pd.MultiIndex.from_frame(latest[["learner_id", "course_id"]])
    is_test = pd.MultiIndex.from_frame(interactions[["learner_id", "course_id"]]).isin(held_out)
    return interactions[~is_test], interactions[is_test]


def data_fingerprint(interactions: pd.DataFrame) -> str:
    """SHA-256 of the sorted ``(learner_id, course_id, event_count)`` rows.

    Training runs with equal fingerprints saw the same interactions, so their metrics are comparable.
    Row order does not change it; neither does ``first_at``, so a change of enrolment dates alone (which
    could move the time split) goes unnoticed.
    """
    columns = ["learner_id", "course_id", "event_count"]
    rows = interactions[columns].astype({"learner_id": str, "course_id": str, "event_count": "int64"})
    csv = rows.sort_values(columns).to_csv(index=False, header=False)
    return hashlib.sha256(csv.encode()).hexdigest()
