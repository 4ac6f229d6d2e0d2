"""Training runs in MLflow: what is logged, and when the champion alias moves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from models.recommender.features import build_interaction_matrix, data_fingerprint
from models.recommender.model import CourseRecommender, fit_als
from models.recommender.registry import champion_version, load_champion
from models.recommender.train import TrainingResult, train_course_recommender
from tests.models.recommender.helpers import TWO_TASTES, WORSE, checkerboard


@dataclass(frozen=True)
class Registry:
    uri: str
    store: Path
    runs: list[TrainingResult]
    champion_after_second: tuple[CourseRecommender, str]
    challenger_after_second: str | None


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, interactions: pd.DataFrame) -> Registry:
    """Five runs: good; worse on the same data; as good again; worse on other data; better on new courses."""
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
    runs.append(train_course_recommender(checkerboard(n_c=12), tracking_uri=uri, params=TWO_TASTES, k=3))
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
    assert first.compared_with is None and not any(name.startswith("champion_") for name in first.metrics)

    run = MlflowClient(tracking_uri=registry.uri).get_run(first.run_id)
    assert run.data.tags["data_fingerprint"] == data_fingerprint(interactions)
    assert run.data.tags["evaluation_protocol"].startswith("leave-latest-course-out")
    assert run.data.params["factors"] == "2" and run.data.params["k"] == "3"
    assert run.data.metrics["ndcg_at_3"] == pytest.approx(first.metrics["ndcg_at_3"])
    # Artifacts live next to the sqlite file, not in the working directory.
    assert len(list((registry.store / "artifacts").rglob("recommender.npz"))) == 5


def test_worse_model_on_the_same_data_becomes_challenger_and_champion_stays(
    registry: Registry, interactions: pd.DataFrame
) -> None:
    second = registry.runs[1]
    # The champion is scored on this run's split next to the new model, and both numbers are logged.
    assert second.compared_with == "1"
    assert second.metrics["champion_recall_at_3"] == 1.0
    assert second.metrics["recall_at_3"] == pytest.approx(24 / 36)  # one factor: popularity, no tastes
    assert (second.model_version, second.alias) == ("2", "challenger")
    assert registry.challenger_after_second == "2"
    run = MlflowClient(tracking_uri=registry.uri).get_run(second.run_id)
    assert run.data.metrics["champion_recall_at_3"] == 1.0
    assert run.data.tags["compared_with_version"] == "1"

    champion, version = registry.champion_after_second
    assert version == "1"
    # The served model is refitted on all interactions, not the training split.
    refit = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    np.testing.assert_array_equal(champion.learner_factors, refit.learner_factors)
    np.testing.assert_array_equal(champion.popularity, refit.popularity)


def test_equal_recall_on_the_same_data_keeps_the_champion(registry: Registry) -> None:
    third = registry.runs[2]
    assert third.metrics["recall_at_3"] == third.metrics["champion_recall_at_3"] == 1.0
    assert (third.model_version, third.alias, third.compared_with) == ("3", "challenger", "1")


def test_worse_model_on_other_data_does_not_replace_the_champion(registry: Registry) -> None:
    fourth = registry.runs[3]
    # b-learner-12 is new; the champion still finds every learner's next course on the new split.
    assert fourth.metrics["champion_recall_at_3"] == 1.0
    assert fourth.metrics["recall_at_3"] < 1.0
    assert (fourth.model_version, fourth.alias, fourth.compared_with) == ("4", "challenger", "1")


def test_better_model_on_new_courses_becomes_champion(registry: Registry) -> None:
    fifth = registry.runs[4]
    # The champion never saw the c courses, so it misses the 12 c learners of 48; the new model does not.
    assert fifth.metrics["champion_recall_at_3"] == pytest.approx(36 / 48)
    assert fifth.metrics["recall_at_3"] == 1.0
    assert (fifth.model_version, fifth.alias, fifth.compared_with) == ("5", "champion", "1")
    aliases = MlflowClient(tracking_uri=registry.uri).get_registered_model("course_recommender").aliases
    assert {alias: str(version) for alias, version in aliases.items()} == {"champion": "5", "challenger": "4"}


def test_load_champion_follows_aliases_and_reports_missing_ones(registry: Registry) -> None:
    champion, version = load_champion(tracking_uri=registry.uri)
    assert version == "5" and "c-learner-11" in champion.learner_ids.tolist()
    _, challenger_version = load_champion(tracking_uri=registry.uri, alias="challenger")
    assert challenger_version == "4"
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
