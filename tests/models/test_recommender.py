"""Course recommender: features, metrics, ALS on a checkerboard of tastes, and the MLflow registry flow.

The checkerboard: 24 learners of group "a" and 12 of group "b" each take four consecutive courses (in a
cycle) from their own group's six courses, one a day. Time split holds out the fourth course. Group "a"
is larger, so the most-popular baseline recommends "a" courses to everybody and misses every "b" learner:
its recall@3 is exactly 24/36, while a model that has found the two tastes reaches 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from models.recommender.evaluate import evaluate_recommender, ndcg_at_k, popularity_ranking, recall_at_k
from models.recommender.features import build_interaction_matrix, data_fingerprint, time_split
from models.recommender.train import (
    ALSParams,
    CourseRecommender,
    TrainingResult,
    champion_version,
    fit_als,
    load_champion,
    train_course_recommender,
)

COLUMNS = ["learner_id", "course_id", "event_count", "first_at"]
START = pd.Timestamp("2024-01-01", tz="UTC")
# Two tastes, two factors: more factors than the structure needs let ALS memorise 36 learners instead.
TWO_TASTES = ALSParams(factors=2, iterations=20, regularization=0.05, alpha=20.0)
WORSE = ALSParams(factors=1, iterations=1)


def checkerboard(n_a: int = 24, n_b: int = 12) -> pd.DataFrame:
    rows = [
        (f"{group}-learner-{i:02d}", f"{group}{(i + j) % 6}", 3 * j, START + pd.Timedelta(days=i + j))
        for group, n_learners in (("a", n_a), ("b", n_b))
        for i in range(n_learners)
        for j in range(4)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    return checkerboard()


@pytest.fixture(scope="module")
def full_model(interactions: pd.DataFrame) -> CourseRecommender:
    return fit_als(build_interaction_matrix(interactions), TWO_TASTES)


# Features ------------------------------------------------------------------------------------------


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


# Metrics -------------------------------------------------------------------------------------------


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


# Model ---------------------------------------------------------------------------------------------


def test_als_recommends_in_group_courses(interactions: pd.DataFrame, full_model: CourseRecommender) -> None:
    taken = interactions.groupby("learner_id")["course_id"].agg(set)
    for learner_id, courses in taken.items():
        recommendations, fallback = full_model.recommend(str(learner_id), exclude=courses, k=2)
        assert not fallback
        # The two untaken courses of the learner's own group rank above the other group's six.
        assert {course_id[0] for course_id, _ in recommendations} == {str(learner_id)[0]}, learner_id


def test_als_beats_popularity_on_the_time_split(interactions: pd.DataFrame) -> None:
    train, test = time_split(interactions)
    train_matrix = build_interaction_matrix(train, course_ids=sorted(interactions["course_id"].unique()))
    metrics = evaluate_recommender(fit_als(train_matrix, TWO_TASTES), train, test, k=3)

    assert metrics["n_test_learners"] == 36
    assert metrics["recall_at_3"] == 1.0
    assert metrics["baseline_recall_at_3"] == pytest.approx(24 / 36)
    assert metrics["ndcg_at_3"] > metrics["baseline_ndcg_at_3"]


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


# MLflow --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    uri: str
    store: Path
    runs: list[TrainingResult]
    champion_after_second: tuple[CourseRecommender, str]
    challenger_after_second: str | None


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, interactions: pd.DataFrame) -> Registry:
    """Four runs: good; worse on the same data; as good again; worse on other data."""
    store = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    assert champion_version(tracking_uri=uri, registry_name="course_recommender") is None
    runs = [
        train_course_recommender(interactions, tracking_uri=uri, params=TWO_TASTES, k=3),
        train_course_recommender(interactions, tracking_uri=uri, params=WORSE, k=3),
    ]
    champion_after_second = load_champion(tracking_uri=uri)
    challenger_after_second = champion_version(
        tracking_uri=uri, registry_name="course_recommender", alias="challenger"
    )
    runs.append(train_course_recommender(interactions, tracking_uri=uri, params=TWO_TASTES, k=3))
    runs.append(train_course_recommender(checkerboard(n_b=13), tracking_uri=uri, params=WORSE, k=3))
    return Registry(uri, store, runs, champion_after_second, challenger_after_second)


def test_first_run_is_registered_as_champion_with_metrics_and_tags(
    registry: Registry, interactions: pd.DataFrame
) -> None:
    first = registry.runs[0]
    assert (first.model_version, first.alias) == ("1", "champion")
    assert (first.n_learners, first.n_courses, first.n_interactions) == (36, 12, 144)
    assert first.metrics["recall_at_3"] == 1.0
    assert first.metrics["baseline_recall_at_3"] == pytest.approx(24 / 36)
    assert first.metrics["n_test_learners"] == 36

    run = MlflowClient(tracking_uri=registry.uri).get_run(first.run_id)
    assert run.data.tags["data_fingerprint"] == data_fingerprint(interactions)
    assert run.data.tags["evaluation_protocol"].startswith("leave-latest-course-out")
    assert run.data.params["factors"] == "2" and run.data.params["k"] == "3"
    assert run.data.metrics["ndcg_at_3"] == pytest.approx(first.metrics["ndcg_at_3"])
    # Artifacts live next to the sqlite file, not in the working directory.
    assert len(list((registry.store / "artifacts").rglob("recommender.npz"))) == 4


def test_worse_model_on_the_same_data_becomes_challenger_and_champion_stays(
    registry: Registry, interactions: pd.DataFrame
) -> None:
    second = registry.runs[1]
    assert second.metrics["recall_at_3"] < registry.runs[0].metrics["recall_at_3"]
    assert (second.model_version, second.alias) == ("2", "challenger")
    assert registry.challenger_after_second == "2"

    champion, version = registry.champion_after_second
    assert version == "1"
    # The served model is refitted on all interactions, not the training split.
    refit = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    np.testing.assert_array_equal(champion.learner_factors, refit.learner_factors)
    np.testing.assert_array_equal(champion.popularity, refit.popularity)


def test_equal_recall_on_the_same_data_takes_over_the_champion(registry: Registry) -> None:
    third = registry.runs[2]
    assert third.metrics["recall_at_3"] == registry.runs[0].metrics["recall_at_3"]
    assert (third.model_version, third.alias) == ("3", "champion")


def test_model_evaluated_on_other_data_replaces_the_champion(registry: Registry) -> None:
    fourth = registry.runs[3]
    assert (fourth.model_version, fourth.alias) == ("4", "champion")
    assert fourth.metrics["recall_at_3"] < 1.0  # not better: promoted only because it is not comparable
    aliases = MlflowClient(tracking_uri=registry.uri).get_registered_model("course_recommender").aliases
    assert {alias: str(version) for alias, version in aliases.items()} == {"champion": "4", "challenger": "2"}


def test_load_champion_follows_aliases_and_reports_missing_ones(registry: Registry) -> None:
    champion, version = load_champion(tracking_uri=registry.uri)
    assert version == "4" and "b-learner-12" in champion.learner_ids.tolist()
    _, challenger_version = load_champion(tracking_uri=registry.uri, alias="challenger")
    assert challenger_version == "2"
    with pytest.raises(LookupError, match="no 'champion' alias"):
        load_champion(tracking_uri=registry.uri, registry_name="no_such_model")
    with pytest.raises(LookupError, match="'retired'"):
        load_champion(tracking_uri=registry.uri, alias="retired")


def test_pyfunc_predict_returns_ranked_rows(registry: Registry) -> None:
    mlflow.set_tracking_uri(registry.uri)
    model = mlflow.pyfunc.load_model("models:/course_recommender@champion")
    predictions = model.predict(pd.DataFrame({"learner_id": ["a-learner-00", "stranger"], "k": [2, 3]}))

    assert predictions.columns.tolist() == ["learner_id", "course_id", "score", "rank", "fallback"]
    assert predictions["learner_id"].tolist() == ["a-learner-00"] * 2 + ["stranger"] * 3
    assert predictions["rank"].tolist() == [1, 2, 1, 2, 3]
    assert predictions["fallback"].tolist() == [False, False, True, True, True]
    assert predictions["course_id"].iloc[2:].tolist() == ["a0", "a1", "a2"]
    default_k = model.predict(pd.DataFrame({"learner_id": ["b-learner-00"]}))
    assert len(default_k) == 10
