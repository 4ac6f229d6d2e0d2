"""Interaction matrix, time split and data fingerprint of the course recommender."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.recommender.features import build_interaction_matrix, data_fingerprint, time_split
from tests.models.recommender.helpers import COLUMNS, START


def test_interaction_matrix_weights_merge_duplicates_and_share_the_course_index() -> None:
    rows = pd.DataFrame(
        {
            "learner_id": ["u2", "u1", "u1", "u1"],
            "course_id": ["c1", "c2", "c1", "c1"],
            "event_count": [0, 3, 1, 2],
        }
    )
    built = build_interaction_matrix(rows, course_ids=["c3", "c2", "c1"])

    assert built.learner_ids.tolist() == ["u1", "u2"]
    assert built.course_ids.tolist() == ["c3", "c2", "c1"]
    assert built.matrix.dtype == np.float32
    expected = np.array([[0.0, 1 + np.log1p(3), 1 + np.log1p(3)], [0.0, 0.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(built.matrix.toarray(), expected, rtol=1e-6)


def test_interaction_matrix_rejects_unknown_courses_and_negative_counts() -> None:
    rows = pd.DataFrame({"learner_id": ["u1"], "course_id": ["c9"], "event_count": [1]})
    with pytest.raises(ValueError, match="not in course_ids"):
        build_interaction_matrix(rows, course_ids=["c1"])
    with pytest.raises(ValueError, match=">= 0"):
        build_interaction_matrix(rows.assign(event_count=-1))


def test_time_split_holds_out_the_latest_course_with_ties_broken_by_course_id() -> None:
    day = pd.Timedelta(days=1)
    rows = pd.DataFrame(
        [
            ("tied", "c1", 1, START),
            ("tied", "c3", 1, START + day),
            ("tied", "c2", 1, START + day),  # same day as c3: the greater id, c3, is the latest
            ("single", "c1", 5, START),
            ("repeat", "c2", 1, START + 2 * day),
            ("repeat", "c1", 1, START),
            ("repeat", "c2", 4, START + 3 * day),  # a second row of the latest course goes with it
        ],
        columns=COLUMNS,
    )
    train, test = time_split(rows)

    assert sorted(zip(test["learner_id"], test["course_id"], test["event_count"], strict=True)) == [
        ("repeat", "c2", 1),
        ("repeat", "c2", 4),
        ("tied", "c3", 1),
    ]
    assert len(train) + len(test) == len(rows)
    assert set(train.index).isdisjoint(test.index)
    assert train.loc[train["learner_id"] == "single", "course_id"].tolist() == ["c1"]

    _, stricter_test = time_split(rows, min_history=3)
    # "repeat" has three rows but only two distinct courses, so it stays in train.
    assert stricter_test["learner_id"].unique().tolist() == ["tied"]


def test_time_split_of_the_checkerboard_holds_out_the_fourth_course(interactions: pd.DataFrame) -> None:
    train, test = time_split(interactions)
    assert len(test) == 36 and len(train) == 3 * 36
    assert test.set_index("learner_id").loc["b-learner-04", "course_id"] == "b1"  # (4 + 3) % 6


def test_data_fingerprint_ignores_row_order_but_not_counts(interactions: pd.DataFrame) -> None:
    fingerprint = data_fingerprint(interactions)
    assert data_fingerprint(interactions.iloc[::-1]) == fingerprint
    assert data_fingerprint(interactions.assign(event_count=interactions["event_count"] + 1)) != fingerprint
    assert len(fingerprint) == 64
