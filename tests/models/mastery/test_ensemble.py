"""The served ensemble: chosen on held-out training learners, refitted, and the same online as offline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.mastery.baselines import WindowedLogistic
from models.mastery.ensemble import fit_best_lr, fit_ensemble
from models.mastery.features import build_vocabulary, history_features, prepare_responses
from models.mastery.model import GRU, MasteryModel, family_of, fit_mastery
from tests.models.mastery.helpers import SMALL


@pytest.fixture(scope="module")
def chosen(train_responses: pd.DataFrame) -> tuple[MasteryModel, str, list[str]]:
    lines: list[str] = []
    model, name = fit_ensemble(train_responses, replace(SMALL, members=2, refit=True), progress=lines.append)
    return model, name, lines


@pytest.fixture(scope="module")
def blended(chosen: tuple[MasteryModel, str, list[str]], train_responses: pd.DataFrame) -> MasteryModel:
    """Two networks and Best-LR with a blend of every part, whatever validation chose."""
    model, _, _ = chosen
    # Fitted on every training learner, as the refitted members are: the same vocabulary.
    second = fit_mastery(train_responses, replace(SMALL, seed=SMALL.seed + 5), refit_epochs=2)
    linear = fit_best_lr(prepare_responses(train_responses), model.vocabulary)
    return replace(
        model,
        networks=[model.networks[0], second.weights],
        network_weights=(),
        linear=linear,
        blend=(0.7, 0.4, -0.1),
    )


def test_the_choice_is_printed_with_its_validation_figures_and_refitted(
    chosen: tuple[MasteryModel, str, list[str]], train_responses: pd.DataFrame
) -> None:
    model, name, lines = chosen
    assert name in {
        "gru-counts",
        "gru-counts-x2",
        "gru-counts-x2+attention-counts-x1",
        "gru-counts-x2+best-lr",
        "gru-counts-x2+attention-counts-x1+best-lr",
    }
    assert any(line.startswith(f"chosen on validation learners: {name} ") for line in lines)
    assert sum(line.startswith("validation AUC ") for line in lines) == 5
    # Refitted on every training learner: the vocabulary is all of theirs, and each chosen member ran
    # exactly the epochs it was stopped at.
    assert (
        model.vocabulary.skill_ids.tolist()
        == build_vocabulary(prepare_responses(train_responses)).skill_ids.tolist()
    )
    assert len(model.networks) == (1 if name == "gru-counts" else 3 if "attention" in name else 2)
    assert (model.linear is not None) == name.endswith("+best-lr")
    assert any(line.startswith("epoch 1 of ") for line in lines)


def test_the_linear_part_is_best_lr(
    blended: MasteryModel, train_responses: pd.DataFrame, test_responses: pd.DataFrame
) -> None:
    only_linear = replace(blended, blend=(0.0, 1.0, 0.0))
    vocabulary = blended.vocabulary
    best_lr = WindowedLogistic.fit(
        history_features(prepare_responses(train_responses), vocabulary), vocabulary.n_skills
    )
    expected = best_lr.predict(history_features(prepare_responses(test_responses), vocabulary))
    np.testing.assert_allclose(only_linear.predict_responses(test_responses), expected, atol=1e-9)


@pytest.mark.parametrize("which", ["chosen", "blended"])
def test_online_updates_give_the_offline_predictions(
    which: str,
    chosen: tuple[MasteryModel, str, list[str]],
    blended: MasteryModel,
    test_responses: pd.DataFrame,
) -> None:
    model = chosen[0] if which == "chosen" else blended
    one = prepare_responses(test_responses[test_responses["learner_id"] == "test-0005"])
    offline = model.predict_responses(one)
    state, online = model.new_state(), []
    for skill_id, correct in zip(one["skill_id"], one["correct"], strict=True):
        online.append(model.predict_next(state, skill_id))
        state = model.update(state, skill_id, bool(correct))
    np.testing.assert_allclose(online, offline, atol=1e-5)
    grus = sum(family_of(w) == GRU for w in model.networks)
    assert state.hidden.shape == (grus * model.params.hidden,)
    assert all(0 < m.probability < 1 for m in model.mastery(state))


def test_save_and_load_keep_the_ensemble(
    blended: MasteryModel, test_responses: pd.DataFrame, tmp_path: Path
) -> None:
    blended.save(tmp_path / "ensemble.npz")
    loaded = MasteryModel.load(tmp_path / "ensemble.npz")
    assert len(loaded.networks) == 2 and loaded.blend == blended.blend and loaded.linear is not None
    np.testing.assert_array_equal(
        loaded.predict_responses(test_responses), blended.predict_responses(test_responses)
    )
