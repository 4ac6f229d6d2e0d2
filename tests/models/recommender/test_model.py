"""The ALS course recommender: what it finds, how it ranks, and that it is reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.recommender.features import build_interaction_matrix
from models.recommender.model import ALSParams, CourseRecommender, fit_als


def test_als_recommends_in_group_courses(interactions: pd.DataFrame, full_model: CourseRecommender) -> None:
    taken = interactions.groupby("learner_id")["course_id"].agg(set)
    for learner_id, courses in taken.items():
        recommendations, fallback = full_model.recommend(str(learner_id), exclude=courses, k=2)
        assert not fallback
        # The two untaken courses of the learner's own group rank above the other group's six.
        assert {course_id[0] for course_id, _ in recommendations} == {str(learner_id)[0]}, learner_id


def test_fit_is_deterministic_for_a_fixed_random_state(interactions: pd.DataFrame) -> None:
    matrix = build_interaction_matrix(interactions)
    first, second = fit_als(matrix, ALSParams()), fit_als(matrix, ALSParams())
    other_seed = fit_als(matrix, ALSParams(random_state=7))

    np.testing.assert_array_equal(first.learner_factors, second.learner_factors)
    np.testing.assert_array_equal(first.course_factors, second.course_factors)
    assert first.course_factors.shape == (12, ALSParams().factors)
    assert not np.array_equal(first.course_factors, other_seed.course_factors)


def test_recommend_never_returns_excluded_courses_and_caps_at_the_catalogue(
    full_model: CourseRecommender,
) -> None:
    excluded = {"a0", "a1", "b5"}
    for learner_id in ("a-learner-00", "b-learner-03", "nobody"):
        recommendations, _ = full_model.recommend(learner_id, exclude=excluded, k=100)
        returned = [course_id for course_id, _ in recommendations]
        assert len(returned) == 12 - len(excluded) == len(set(returned))
        assert excluded.isdisjoint(returned)
        scores = [score for _, score in recommendations]
        assert scores == sorted(scores, reverse=True)
    # A bare string is one course id, not a set of characters.
    only_a0_excluded, _ = full_model.recommend("a-learner-00", exclude="a0", k=100)
    assert len(only_a0_excluded) == 11


def test_unknown_learner_gets_popularity_shares(full_model: CourseRecommender) -> None:
    recommendations, fallback = full_model.recommend("new-learner", exclude={"a1"}, k=6)
    assert fallback
    # 16 of 36 learners took each "a" course, 8 of 36 each "b" course; ties keep catalogue order.
    assert recommendations == [
        ("a0", pytest.approx(16 / 36)),
        ("a2", pytest.approx(16 / 36)),
        ("a3", pytest.approx(16 / 36)),
        ("a4", pytest.approx(16 / 36)),
        ("a5", pytest.approx(16 / 36)),
        ("b0", pytest.approx(8 / 36)),
    ]


def test_save_and_load_round_trip(full_model: CourseRecommender, tmp_path: Path) -> None:
    path = tmp_path / "recommender.npz"
    full_model.save(path)
    loaded = CourseRecommender.load(path)

    assert path.exists() and not (tmp_path / "recommender.npz.npz").exists()
    for name in ("learner_ids", "course_ids", "learner_factors", "course_factors", "popularity"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(full_model, name))
    assert loaded.recommend("b-learner-01", k=5) == full_model.recommend("b-learner-01", k=5)


def test_learners_solved_against_fixed_course_factors_match_the_fitted_ones(
    interactions: pd.DataFrame,
) -> None:
    # With the defaults ALS has converged, so its last learner step is this exact least-squares solve.
    matrix, params = build_interaction_matrix(interactions), ALSParams()
    model = fit_als(matrix, params)
    solved = model.with_learners_from(matrix, regularization=params.regularization, alpha=params.alpha)

    np.testing.assert_allclose(solved.learner_factors, model.learner_factors, atol=1e-5)
    np.testing.assert_array_equal(solved.course_factors, model.course_factors)
    np.testing.assert_array_equal(solved.learner_ids, model.learner_ids)


def test_solving_learners_ignores_courses_the_model_does_not_know(full_model: CourseRecommender) -> None:
    rows = pd.DataFrame(
        {"learner_id": ["new", "new", "stranger"], "course_id": ["b0", "z9", "z9"], "event_count": [3, 3, 3]}
    )
    solved = full_model.with_learners_from(build_interaction_matrix(rows), regularization=0.05, alpha=20.0)

    assert solved.learner_ids.tolist() == ["new", "stranger"]
    recommendations, fallback = solved.recommend("new", exclude={"b0"}, k=2)
    assert not fallback and {course_id[0] for course_id, _ in recommendations} == {"b"}
    # Only an unknown course: nothing to go on, so every score is zero rather than an error.
    assert solved.learner_factors[1].tolist() == [0.0] * solved.learner_factors.shape[1]
    assert "z9" not in solved.course_ids.tolist()
