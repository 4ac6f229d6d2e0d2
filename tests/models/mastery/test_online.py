"""The per-answer path (models.mastery.online): float32 numpy, held to the torch networks' predictions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from models.mastery import online, online_compiled
from models.mastery.ensemble import fit_best_lr
from models.mastery.features import prepare_responses
from models.mastery.model import MasteryModel
from models.mastery.online import OnlineState


@pytest.fixture(scope="module")
def ensemble(fitted: MasteryModel, attention: MasteryModel, train_responses: pd.DataFrame) -> MasteryModel:
    """Two GRUs and an attention network weighed apart, blended with Best-LR (the shipped composition).

    The second GRU is the first with its weights perturbed: a member that differs, without another fit.
    """
    rng = np.random.default_rng(0)
    second = {k: v + rng.normal(0, 0.05, v.shape).astype(v.dtype) for k, v in fitted.weights.items()}
    return replace(
        fitted,
        networks=[fitted.weights, second, attention.weights],
        network_weights=(0.25, 0.2, 0.5),
        linear=fit_best_lr(prepare_responses(train_responses), fitted.vocabulary),
        blend=(0.9, 0.3, -0.1),
    )


def _learners(test_responses: pd.DataFrame, count: int) -> pd.DataFrame:
    chosen = sorted(test_responses["learner_id"].unique())[:count]
    return prepare_responses(test_responses[test_responses["learner_id"].isin(chosen)])


def _online(model: MasteryModel, responses: pd.DataFrame) -> tuple[list[float], list[float]]:
    """P(correct) of every answer before it (``probability``) and, after each answer, of the next one on
    the same skill as ``answer`` returns it, next to the float64 reference's (``predict_next``)."""
    tracer = model.online()
    before, answered = [], []
    for _, one in responses.groupby("learner_id", sort=False):
        state, reference = tracer.new_state(), model.new_state()
        for skill_id, correct in zip(one["skill_id"], one["correct"], strict=True):
            skill = model.vocabulary.skill_code(skill_id)
            before.append(tracer.probability(state, skill))
            state, p = model.answer(state, skill_id, bool(correct))
            reference = model.update(reference, skill_id, bool(correct))
            answered.append(p - model.predict_next(reference, skill_id))
            assert tracer.features(state, skill) == pytest.approx(
                reference.history.features(np.array([skill]))[0].tolist(), abs=1e-12
            )
        np.testing.assert_allclose(state.hidden.reshape(-1), reference.hidden, atol=1e-5)
        assert state.answers.tolist() == list(reference.answers[::-1])
    return before, answered


@pytest.mark.parametrize("which", ["fitted", "attention", "ensemble"])
def test_the_online_path_gives_the_torch_networks_predictions(
    which: str, request: pytest.FixtureRequest, test_responses: pd.DataFrame
) -> None:
    model: MasteryModel = request.getfixturevalue(which)
    responses = _learners(test_responses, 4)
    offline = model.predict_responses(responses)
    before, answered = _online(model, responses)
    # 40 answers per learner and a context of 8: the attention's oldest answers do fall out of it.
    assert len(before) == 160 and model.params.context < 40
    np.testing.assert_allclose(before, offline, atol=1e-5)
    np.testing.assert_allclose(answered, 0.0, atol=1e-5)
    # Not trivially equal: the predictions move with the answers.
    assert np.std(before) > 0.05


def test_large_vocabularies_score_attention_per_answer_alike(
    ensemble: MasteryModel, test_responses: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(online, "MAX_SCORE_TABLE", 0)
    model = replace(ensemble)
    assert model.online().attention[0].factors is None
    responses = _learners(test_responses, 2)
    before, _ = _online(model, responses)
    np.testing.assert_allclose(before, model.predict_responses(responses), atol=1e-5)


def test_an_item_shifts_the_prediction_as_the_reference_does(ensemble: MasteryModel) -> None:
    tracer, state, reference = ensemble.online(), ensemble.online().new_state(), ensemble.new_state()
    for skill_id, correct in [("fractions", True), ("ratios", False), ("fractions", False)]:
        state, _ = ensemble.answer(state, skill_id, correct)
        reference = ensemble.update(reference, skill_id, correct)
    for item in range(ensemble.vocabulary.n_items):
        skill = ensemble.vocabulary.skill_code("ratios")
        expected = ensemble._head(
            reference, np.array([skill]), np.array([item]), reference.history.features(np.array([skill]))
        )[0]
        assert tracer.probability(state, skill, item) == pytest.approx(expected, abs=1e-5)


def test_the_reference_state_converts_to_the_online_one(ensemble: MasteryModel) -> None:
    reference = ensemble.new_state()
    for k in range(45):
        reference = ensemble.update(reference, ["fractions", "algebra", "ratios"][k % 3], k % 4 != 0)
    state = OnlineState.of(reference, members=2)
    tracer = ensemble.online()
    for skill_id in ("fractions", "algebra", "decimals"):
        skill = ensemble.vocabulary.skill_code(skill_id)
        assert tracer.probability(state, skill) == pytest.approx(
            ensemble.predict_next(reference, skill_id), abs=1e-5
        )
    assert state.position == 45 and state.skills[ensemble.vocabulary.skill_code("algebra")][0] == 15


def test_attention_scores_too_large_for_the_factor_tables_keep_the_exact_softmax(
    attention: MasteryModel,
) -> None:
    # Queries 300 times larger: exp(score) would overflow float32, so the member subtracts the maximum.
    weights = dict(attention.weights)
    weights["query_embedding.weight"] = weights["query_embedding.weight"] * 300
    large = replace(attention, networks=[weights])
    tracer = large.online()
    assert tracer.attention[0].factors is None and attention.online().attention[0].factors is not None
    state, reference = tracer.new_state(), large.new_state()
    for k in range(20):
        skill_id = ["fractions", "ratios", "algebra"][k % 3]
        state, p = large.answer(state, skill_id, k % 4 != 1)
        reference = large.update(reference, skill_id, k % 4 != 1)
        assert np.isfinite(p) and p == pytest.approx(large.predict_next(reference, skill_id), abs=1e-5)


@pytest.mark.parametrize("which", ["fitted", "attention", "ensemble"])
def test_the_compiled_answer_gives_what_the_numpy_operations_give(
    which: str, request: pytest.FixtureRequest
) -> None:
    model: MasteryModel = request.getfixturevalue(which)
    compiled = model.online()
    numpy_only = replace(model).online()
    numpy_only.compiled = None
    assert compiled.compiled is not None
    vocabulary = model.vocabulary
    state = compiled.new_state()
    for k in range(30):
        skill = vocabulary.skill_code(["fractions", "ratios", "algebra"][k % 3])
        state_numpy, p_numpy = numpy_only.answer(state, skill, k % 3 != 1)
        state, p = compiled.answer(state, skill, k % 3 != 1)
        assert p == pytest.approx(p_numpy, abs=1e-6)
        np.testing.assert_allclose(state.hidden, state_numpy.hidden, atol=1e-6)
        assert state.answers.tolist() == state_numpy.answers.tolist()
        for item in range(vocabulary.n_items):
            assert compiled.probability(state, skill, item) == pytest.approx(
                numpy_only.probability(state, skill, item), abs=1e-6
            )
    # Read-only states (read from bytes) take the same compiled function as arrays the tracer made: it was
    # compiled once, for one signature, and nothing compiles while answering.
    read_only = OnlineState(
        hidden=np.frombuffer(state.hidden.tobytes(), np.float32).reshape(state.hidden.shape),
        answers=np.frombuffer(state.answers.tobytes(), np.int32),
        position=state.position,
        correct=state.correct,
        recent=state.recent,
        skills=state.skills,
    )
    assert compiled.answer(read_only, 1, True)[1] == compiled.answer(state, 1, True)[1]
    assert len(online_compiled.answer_logit.signatures) == 1
