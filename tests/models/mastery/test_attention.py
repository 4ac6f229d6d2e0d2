"""The attention family: a second kind of network for the ensemble, the same offline as online."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.mastery.ensemble import fit_best_lr, fit_ensemble
from models.mastery.features import history_features, prepare_responses
from models.mastery.model import ATTENTION, GRU, MasteryModel, family_of, fit_mastery
from tests.models.mastery.helpers import ATTENTIVE


@pytest.fixture(scope="module")
def ensemble(train_responses: pd.DataFrame) -> tuple[MasteryModel, str, list[str]]:
    lines: list[str] = []
    params = replace(ATTENTIVE, members=2, attention_members=1, epochs=4)
    model, name = fit_ensemble(train_responses, params, progress=lines.append)
    return model, name, lines


def _online(model: MasteryModel, one: pd.DataFrame) -> list[float]:
    state, online = model.new_state(), []
    for skill_id, correct in zip(one["skill_id"], one["correct"], strict=True):
        online.append(model.predict_next(state, skill_id))
        state = model.update(state, skill_id, bool(correct))
    assert len(state.answers) == model.params.context
    assert all(0 < m.probability < 1 for m in model.mastery(state))
    return online


def test_it_is_the_attention_family_with_no_recurrent_state(attention: MasteryModel) -> None:
    # Its margin over the skill mean and its causality are test_model.py's, for each family.
    assert family_of(attention.weights) == ATTENTION
    assert attention.new_state().hidden.shape == (0,)


def test_online_updates_give_the_offline_predictions(
    attention: MasteryModel, test_responses: pd.DataFrame
) -> None:
    one = prepare_responses(test_responses[test_responses["learner_id"] == "test-0003"])
    np.testing.assert_allclose(_online(attention, one), attention.predict_responses(one), atol=1e-5)


def test_the_ensemble_chooses_among_families_on_validation_learners(
    ensemble: tuple[MasteryModel, str, list[str]], test_responses: pd.DataFrame
) -> None:
    model, name, lines = ensemble
    # Five candidates: one network, the GRUs' mean, every network's mean, and the two blends with Best-LR.
    assert sum(line.startswith("validation AUC ") for line in lines) == 5
    assert any(line.startswith(f"chosen on validation learners: {name} ") for line in lines)
    families = [family_of(w) for w in model.networks]
    assert families == ([GRU, GRU, ATTENTION] if "attention" in name else [GRU] * len(families))
    one = prepare_responses(test_responses[test_responses["learner_id"] == "test-0005"])
    np.testing.assert_allclose(_online(model, one), model.predict_responses(one), atol=1e-5)


def test_families_weighed_apart_predict_online_as_offline_and_survive_saving(
    attention: MasteryModel, train_responses: pd.DataFrame, test_responses: pd.DataFrame, tmp_path: Path
) -> None:
    # Fitted on the same split as the attention network: the same vocabulary.
    gru = fit_mastery(train_responses, ATTENTIVE)
    linear = fit_best_lr(prepare_responses(train_responses), gru.vocabulary)
    model = replace(
        gru,
        networks=[gru.weights, attention.weights],
        network_weights=(0.6, 0.5),
        linear=linear,
        blend=(1.0, 0.3, -0.1),
    )
    one = prepare_responses(test_responses[test_responses["learner_id"] == "test-0005"])
    offline = model.predict_responses(one)
    parts = [
        replace(model, networks=[w], network_weights=(), linear=None, blend=(1.0, 0.0, 0.0))
        for w in model.networks
    ]
    expected = 0.6 * _logit(parts[0].predict_responses(one)) + 0.5 * _logit(parts[1].predict_responses(one))
    expected += (
        0.3 * replace(model, blend=(0.0, 1.0, 0.0)).linear_logit(*_skills_and_counts(model, one)) - 0.1
    )
    np.testing.assert_allclose(_logit(offline), expected, atol=1e-6)
    np.testing.assert_allclose(_online(model, one), offline, atol=1e-5)
    model.save(tmp_path / "mixed.npz")
    loaded = MasteryModel.load(tmp_path / "mixed.npz")
    assert loaded.network_weights == (0.6, 0.5)
    assert [family_of(w) for w in loaded.networks] == [GRU, ATTENTION]
    np.testing.assert_array_equal(
        loaded.predict_responses(test_responses), model.predict_responses(test_responses)
    )


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _skills_and_counts(model: MasteryModel, one: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    history = history_features(one, model.vocabulary)
    return history.skill, history.numeric
