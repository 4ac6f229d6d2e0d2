"""Ranking metrics, the popularity baseline, and scoring a champion on another run's split."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.recommender.evaluate import (
    evaluate_champion,
    evaluate_recommender,
    ndcg_at_k,
    popularity_ranking,
    recall_at_k,
    score_recommender,
)
from models.recommender.features import build_interaction_matrix, time_split
from models.recommender.model import ALSParams, CourseRecommender, fit_als
from tests.models.recommender.helpers import COLUMNS, START, TWO_TASTES, checkerboard


def test_recall_and_ndcg_match_hand_computed_values() -> None:
    recommended = {"u1": ["a", "b", "c"], "u2": ["d", "e", "f"], "u3": ["x"]}
    held_out = {"u1": {"b"}, "u2": {"z", "f"}, "u4": set()}  # u4 has nothing held out: ignored

    # u1: 1 hit of 1; u2: 1 hit of min(3, 2) = 2.
    assert recall_at_k(recommended, held_out, 3) == pytest.approx((1 + 0.5) / 2)
    # u1: hit at rank 2 -> 1/log2(3); u2: hit at rank 3 -> (1/log2(4)) / (1 + 1/log2(3)).
    expected_ndcg = (1 / math.log2(3) + 0.5 / (1 + 1 / math.log2(3))) / 2
    assert ndcg_at_k(recommended, held_out, 3) == pytest.approx(expected_ndcg)
    assert recall_at_k(recommended, held_out, 1) == 0.0
    # A learner with held-out courses but no recommendations scores zero rather than being skipped.
    assert recall_at_k(recommended, {"u1": {"b"}, "u5": {"a"}}, 3) == 0.5
    assert ndcg_at_k({"u1": ["b"]}, {"u1": {"b"}}, 5) == 1.0
    assert math.isnan(recall_at_k(recommended, {"u1": set()}, 3))


def test_popularity_ranking_counts_learners_not_events() -> None:
    rows = pd.DataFrame(
        {
            "learner_id": ["u1", "u2", "u3", "u1"],
            "course_id": ["c2", "c2", "c3", "c1"],
            "event_count": [0, 0, 0, 900],
        }
    )
    assert popularity_ranking(build_interaction_matrix(rows)) == ["c2", "c1", "c3"]


def test_als_beats_popularity_on_the_time_split(interactions: pd.DataFrame) -> None:
    train, test = time_split(interactions)
    train_matrix = build_interaction_matrix(train, course_ids=sorted(interactions["course_id"].unique()))
    metrics = evaluate_recommender(fit_als(train_matrix, TWO_TASTES), train, test, k=3)

    assert metrics["n_test_learners"] == 36
    assert metrics["recall_at_3"] == 1.0
    assert metrics["baseline_recall_at_3"] == pytest.approx(24 / 36)
    assert metrics["ndcg_at_3"] > metrics["baseline_ndcg_at_3"]


# A champion scored on another run's split ----------------------------------------------------------


def test_a_champion_is_scored_on_the_split_without_its_memory_of_held_out_courses() -> None:
    """Histories without structure: only memory of the held-out course can find it."""
    rng = np.random.default_rng(0)
    rows = [
        (f"u{learner:03d}", f"c{course:02d}", 2, START + pd.Timedelta(days=day))
        for learner in range(200)
        for day, course in enumerate(rng.choice(40, size=4, replace=False))
    ]
    noise = pd.DataFrame(rows, columns=COLUMNS)
    memoriser = ALSParams(factors=32, regularization=0.01, alpha=20.0, iterations=30)
    champion = fit_als(build_interaction_matrix(noise), memoriser)  # it saw every held-out course
    train, test = time_split(noise)

    assert score_recommender(champion, train, test, k=3)["recall_at_3"] == 1.0  # as it would serve
    # Near chance (3 of 37 candidates is 0.08); the rest is what its course factors still remember.
    assert evaluate_champion(champion, memoriser, train, test, k=3)["recall_at_3"] < 0.5


def test_a_champion_misses_courses_it_never_saw_and_scores_learners_it_never_saw(
    full_model: CourseRecommender,
) -> None:
    """The champion knows groups a and b; the new data adds 12 learners of a new group c."""
    train, test = time_split(checkerboard(n_c=12))
    metrics = evaluate_champion(full_model, TWO_TASTES, train, test, k=3)
    # Every a and b learner is found, every c learner's held-out c course is beyond the champion.
    assert metrics["recall_at_3"] == pytest.approx(36 / 48)

    train, test = time_split(checkerboard(n_b=13))
    # b-learner-12 is new to the champion and is found from their three training courses.
    assert evaluate_champion(full_model, TWO_TASTES, train, test, k=3)["recall_at_3"] == 1.0
    assert "b-learner-12" not in full_model.learner_ids.tolist()
