"""Mastery training runs in MLflow: what is logged, when the champion alias moves, and determinism."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from models.mastery.agreement import learner_mastery, spearman_with_truth
from models.mastery.features import data_fingerprint, prepare_responses
from models.mastery.registry import champion_version, load_champion
from models.mastery.train import TrainingResult, train_skill_mastery
from tests.models.mastery.helpers import SMALL

# One epoch of a tiny network: a model clearly worse than SMALL on the same split.
WORSE = replace(SMALL, hidden=2, epochs=1, learning_rate=1e-4)


@dataclass(frozen=True)
class Registry:
    uri: str
    store: Path
    runs: list[TrainingResult]
    challenger_after_second: str | None


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, train_responses: pd.DataFrame) -> Registry:
    """Three runs on the same responses: good; worse; good again with the same seed."""
    store = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    assert champion_version(tracking_uri=uri) is None
    runs = [
        train_skill_mastery(train_responses, tracking_uri=uri, params=SMALL),
        train_skill_mastery(train_responses, tracking_uri=uri, params=WORSE),
    ]
    challenger = champion_version(tracking_uri=uri, alias="challenger")
    runs.append(train_skill_mastery(train_responses, tracking_uri=uri, params=SMALL))
    return Registry(uri, store, runs, challenger)


def test_first_run_is_champion_with_metrics_baselines_and_tags(
    registry: Registry, train_responses: pd.DataFrame
) -> None:
    first = registry.runs[0]
    assert (first.model_version, first.alias, first.compared_with) == ("1", "champion", None)
    assert (first.n_learners, first.n_skills, first.n_responses) == (300, 4, 12000)
    # 20% of 300 learners are held out: their answers are the test answers.
    assert (first.metrics["n_test"], first.metrics["n_train"]) == (60 * 40, 240 * 40)
    # The simulated answers depend on each learner's history, which only the tracer and PFA can see.
    assert first.metrics["auc"] > first.metrics["baseline_auc"] + 0.05
    assert first.metrics["pfa_auc"] > first.metrics["baseline_auc"]
    assert 0.0 < first.metrics["rmse"] < 0.5
    assert not any(name.startswith("champion_") for name in first.metrics)

    run = MlflowClient(tracking_uri=registry.uri).get_run(first.run_id)
    assert run.data.tags["data_fingerprint"] == data_fingerprint(prepare_responses(train_responses))
    assert run.data.tags["evaluation_protocol"].startswith("learner-disjoint split")
    assert run.data.params["hidden"] == "16" and run.data.params["test_share"] == "0.2"
    for name in ("auc", "rmse", "baseline_auc", "pfa_auc"):
        assert run.data.metrics[name] == pytest.approx(first.metrics[name])
    assert len(list((registry.store / "artifacts").rglob("mastery.npz"))) == 3
    requirements = next((registry.store / "artifacts").rglob("requirements.txt")).read_text()
    assert {line.split("==")[0] for line in requirements.split()} >= {"mlflow", "numpy", "torch"}


def test_a_worse_model_becomes_challenger_after_the_champion_is_scored_on_the_same_split(
    registry: Registry,
) -> None:
    second = registry.runs[1]
    assert second.compared_with == "1"
    assert second.metrics["champion_auc"] > second.metrics["auc"]
    assert (second.model_version, second.alias) == ("2", "challenger")
    assert registry.challenger_after_second == "2"
    run = MlflowClient(tracking_uri=registry.uri).get_run(second.run_id)
    assert run.data.tags["compared_with_version"] == "1"
    assert run.data.metrics["champion_auc"] == pytest.approx(second.metrics["champion_auc"])


def test_a_fixed_seed_gives_the_same_model_and_a_tie_keeps_the_champion(
    registry: Registry, train_responses: pd.DataFrame
) -> None:
    first, third = registry.runs[0], registry.runs[2]
    assert third.metrics["auc"] == first.metrics["auc"]
    for name, weights in first.model.weights.items():
        np.testing.assert_array_equal(weights, third.model.weights[name])
    # Not strictly better than the champion (the same model): it stays challenger.
    assert third.alias == "challenger"
    model, version = load_champion(tracking_uri=registry.uri)
    assert version == "1"
    np.testing.assert_allclose(
        model.predict_responses(train_responses.head(80)),
        first.model.predict_responses(train_responses.head(80)),
    )


def test_mastery_after_each_history_ranks_learners_by_what_they_answered(
    registry: Registry, train_responses: pd.DataFrame
) -> None:
    model = registry.runs[0].model
    mastery = learner_mastery(model, train_responses)
    assert len(mastery) == train_responses.groupby(["learner_id", "skill_id"]).ngroups
    # A stand-in truth: the share of right answers in each learner's last 5 on the skill.
    recent = (
        prepare_responses(train_responses)
        .groupby(["learner_id", "skill_id"])["correct"]
        .apply(lambda answers: answers.tail(5).mean())
        .rename("theta")
        .reset_index()
    )
    assert spearman_with_truth(mastery, recent) > 0.5
    assert spearman_with_truth(mastery, recent, within_skill=True) > 0.5
    assert np.isnan(spearman_with_truth(mastery.head(0), recent))
