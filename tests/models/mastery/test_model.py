"""The fitted tracer on learners simulated from a known BKT process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.mastery.baselines import SkillMean
from models.mastery.evaluate import auc
from models.mastery.features import history_features, prepare_responses
from models.mastery.model import LEVEL_MAX, LEVEL_MIN, MasteryModel, fit_mastery
from tests.models.mastery.helpers import SKILLS, SMALL


@pytest.fixture(params=["gru", "attention"])
def network(request: pytest.FixtureRequest) -> MasteryModel:
    """A model of each network family, fitted on the same simulated learners."""
    model: MasteryModel = request.getfixturevalue("fitted" if request.param == "gru" else request.param)
    return model


def test_it_beats_the_per_skill_mean_by_a_margin(
    network: MasteryModel, train_responses: pd.DataFrame, test_responses: pd.DataFrame
) -> None:
    test = prepare_responses(test_responses)
    skill_mean = SkillMean.fit(
        history_features(prepare_responses(train_responses), network.vocabulary), network.vocabulary.n_skills
    ).predict(history_features(test, network.vocabulary))
    baseline, model = (
        auc(test["correct"].to_numpy(), skill_mean),
        auc(test["correct"].to_numpy(), network.predict_responses(test_responses)),
    )
    # BKT answers depend on the learner's history on the skill, which the skill mean cannot see.
    assert model > baseline + 0.08, (model, baseline)


def test_a_prediction_never_depends_on_later_answers(
    network: MasteryModel, test_responses: pd.DataFrame
) -> None:
    rows = prepare_responses(test_responses)
    later = ((rows["learner_id"] == "test-0007") & (rows["seq"] > 20)).to_numpy()
    changed = rows.copy()
    changed.loc[later, "correct"] = 1 - changed.loc[later, "correct"]
    changed.loc[later, "skill_id"] = "ratios"
    before, after = network.predict_responses(rows), network.predict_responses(changed)
    np.testing.assert_array_equal(before[~later], after[~later])
    # The changed answers' own predictions do move, so the comparison above can fail.
    assert not np.allclose(before[later], after[later])


def test_online_updates_give_the_offline_predictions(
    fitted: MasteryModel, test_responses: pd.DataFrame
) -> None:
    one = prepare_responses(test_responses[test_responses["learner_id"] == "test-0003"])
    offline = fitted.predict_responses(one)
    state, online = fitted.new_state(), []
    for skill_id, correct in zip(one["skill_id"], one["correct"], strict=True):
        online.append(fitted.predict_next(state, skill_id))
        state = fitted.update(state, skill_id, bool(correct))
    np.testing.assert_allclose(online, offline, atol=1e-5)


def test_mastery_follows_the_evidence(fitted: MasteryModel) -> None:
    right, wrong = fitted.new_state(), fitted.new_state()
    for _ in range(8):
        right = fitted.update(right, "fractions", True)
        wrong = fitted.update(wrong, "fractions", False)
    by_skill_right = {m.skill_id: m for m in fitted.mastery(right)}
    by_skill_wrong = {m.skill_id: m for m in fitted.mastery(wrong)}
    fresh = {m.skill_id: m for m in fitted.mastery(fitted.new_state())}
    assert set(by_skill_right) == set(SKILLS)
    assert by_skill_right["fractions"].level > by_skill_wrong["fractions"].level + 2
    assert by_skill_right["fractions"].answers == 8 and fresh["fractions"].answers == 0
    # Eight answers on the skill narrow its level; a skill never practised keeps a wide one.
    assert by_skill_right["fractions"].standard_error < fresh["fractions"].standard_error
    for mastery in (*by_skill_right.values(), *by_skill_wrong.values()):
        assert LEVEL_MIN <= mastery.level <= LEVEL_MAX and 0 < mastery.probability < 1
        assert 0 < mastery.standard_error <= LEVEL_MAX - LEVEL_MIN


def test_save_and_load_keep_the_predictions(
    fitted: MasteryModel, test_responses: pd.DataFrame, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "mastery.npz")
    loaded = MasteryModel.load(tmp_path / "mastery.npz")
    assert loaded.params == fitted.params and loaded.best_epoch == fitted.best_epoch
    np.testing.assert_array_equal(
        loaded.predict_responses(test_responses), fitted.predict_responses(test_responses)
    )


def test_the_same_seed_fits_the_same_model(fitted: MasteryModel, train_responses: pd.DataFrame) -> None:
    again = fit_mastery(train_responses, SMALL)
    assert again.weights.keys() == fitted.weights.keys()
    for name, weight in fitted.weights.items():
        np.testing.assert_array_equal(again.weights[name], weight)
