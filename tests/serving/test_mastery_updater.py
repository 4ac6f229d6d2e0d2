"""Issue 11 point 5: the champion knowledge tracer as the API's mastery updater, state kept in Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.courses.models import Skill
from app_api.mastery import updaters
from app_api.mastery.models import LearnerMasteryState
from models.mastery.model import LearnerState, MasteryModel, fit_mastery
from serving.mastery import MAGIC, ChampionUpdater, answer_state, read_state, write_state
from skillstudio.main.mastery_wiring import install_mastery_updater
from skillstudio.settings import Settings
from tests.app_api.assessments.helpers import API, World, single_choice
from tests.models.mastery.helpers import SMALL, simulate

FRACTIONS = uuid.UUID("00000000-0000-4000-8000-00000000f4ac")


@pytest.fixture(scope="module")
def model() -> MasteryModel:
    responses = simulate(200, 30, seed=1, prefix="train")
    # The skill the test's questions are tagged with is the model's "fractions".
    responses["skill_id"] = responses["skill_id"].replace({"fractions": str(FRACTIONS)})
    return fit_mastery(responses, SMALL)


@pytest.fixture
def champion(model: MasteryModel) -> Iterator[ChampionUpdater]:
    updater = ChampionUpdater(model, "7")
    previous = updaters.install(updater)
    yield updater
    updaters.install(previous)


@pytest.fixture(scope="module")
def mixed() -> MasteryModel:
    """A GRU and an attention network over the last answers, weighed apart (the ensemble's families)."""
    responses = simulate(200, 30, seed=1, prefix="train")
    responses["skill_id"] = responses["skill_id"].replace({"fractions": str(FRACTIONS)})
    params = replace(SMALL, context=4, heads=2)
    gru, attention = fit_mastery(responses, params), fit_mastery(responses, params, family="attention")
    return replace(gru, networks=[gru.weights, attention.weights], network_weights=(0.7, 0.4))


@pytest.mark.parametrize("which", ["gru", "mixed"])
def test_the_serialized_state_gives_the_models_own_online_estimates(
    which: str, request: pytest.FixtureRequest
) -> None:
    model: MasteryModel = request.getfixturevalue("model" if which == "gru" else "mixed")
    updater = ChampionUpdater(model, "7")
    state, learner = None, model.new_state()
    for correct in [True, False, True, True, False, False]:
        answer = updaters.Answer(FRACTIONS, uuid.uuid4(), correct, 1.0, 0.0)
        state, estimate = updater.update(state, answer)
        assert state.startswith(MAGIC)
        learner = model.update(learner, str(FRACTIONS), correct)
        # The float32 online path against the float64 reference.
        assert estimate.p_mastery == pytest.approx(model.predict_next(learner, str(FRACTIONS)), abs=1e-5)
    (fractions,) = [m for m in model.mastery(learner) if m.skill_id == str(FRACTIONS)]
    assert estimate.answers_seen == fractions.answers == 6
    assert estimate.uncertainty == pytest.approx(fractions.standard_error, abs=1e-4)
    stored, _ = read_state(state)
    np.testing.assert_allclose(stored.hidden.reshape(-1), learner.hidden, atol=1e-5)
    assert stored.answers.tolist() == list(learner.answers[::-1])


def _json_state(learner: LearnerState, seeds: dict[str, list[float]]) -> bytes:
    """A state as the updater wrote it before state v2 (orjson)."""
    history = learner.history
    return orjson.dumps(
        {
            "hidden": learner.hidden, "position": history.position, "attempts_all": history.attempts_all,
            "correct_all": history.correct_all, "recent_all": list(history.recent_all),
            "skill_attempts": history.skill_attempts, "skill_correct": history.skill_correct,
            "skill_recent": {str(k): list(v) for k, v in history.skill_recent.items()},
            "skill_last_position": history.skill_last_position, "answers": list(learner.answers),
            "seeds": seeds,
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )  # fmt: skip


@pytest.mark.parametrize("which", ["gru", "mixed"])
def test_a_json_state_is_read_and_the_next_answer_writes_it_binary(
    which: str, request: pytest.FixtureRequest
) -> None:
    model: MasteryModel = request.getfixturevalue("model" if which == "gru" else "mixed")
    updater = ChampionUpdater(model, "7")
    algebra = uuid.UUID(int=7)  # not in the model's vocabulary: the shared code for unseen skills
    learner = model.new_state()
    for k in range(12):
        learner = model.update(learner, str(FRACTIONS if k % 3 else algebra), k % 4 != 1)
    seeds = {str(algebra): [-1.2, 4.0, 3.0]}
    old = _json_state(learner, seeds)
    assert old.startswith(b"{")
    state, estimate = updater.update(old, updaters.Answer(FRACTIONS, uuid.uuid4(), True, 1.0, 0.0))
    assert state.startswith(MAGIC) and len(state) < len(old) / 2
    learner = model.update(learner, str(FRACTIONS), True)
    assert estimate.p_mastery == pytest.approx(model.predict_next(learner, str(FRACTIONS)), abs=1e-5)
    assert estimate.answers_seen == 9
    # Nothing was lost on the way: the seed and the counts are the same, read back from v2.
    stored, stored_seeds = read_state(state)
    assert stored_seeds == seeds and stored.position == 13
    _, seeded = updater.update(state, updaters.Answer(algebra, uuid.uuid4(), False, 1.0, 0.0))
    assert seeded.answers_seen == 4 + 1 + 3


@pytest.mark.parametrize("which", ["gru", "mixed"])
def test_an_answer_on_a_stored_state_writes_what_decoding_it_would(
    which: str, request: pytest.FixtureRequest
) -> None:
    """update() advances a state v2's bytes without decoding it all (answer_state): the same bytes and
    estimate as decoding, answering with the tracer and encoding, for skills answered before or not, the
    vocabulary's unseen code, a seeded skill and more answers than the attention's context holds."""
    model: MasteryModel = request.getfixturevalue("model" if which == "gru" else "mixed")
    updater = ChampionUpdater(model, "7")
    known, unseen, seeded = FRACTIONS, uuid.UUID(int=7), uuid.UUID(int=8)
    state, _ = updater.seed(None, skill_id=seeded, theta=0.4, standard_error=0.5, answers=3)
    rng = np.random.default_rng(5)
    for number in range(40):
        skill_id = [known, unseen, seeded, uuid.UUID(int=9 + number % 5)][number % 4]
        correct = bool(rng.random() < 0.6)
        learner, seeds = read_state(state)
        skill = model.vocabulary.skill_code(str(skill_id))
        learner, p = updater.tracer.answer(learner, skill, correct)
        expected = updater._estimate(learner, seeds, skill_id, p, skill)
        state, estimate = updater.update(state, updaters.Answer(skill_id, uuid.uuid4(), correct, 1.0, 0.0))
        assert state == write_state(learner, seeds)
        assert (estimate.p_mastery, estimate.level, estimate.uncertainty, estimate.answers_seen) == (
            expected.p_mastery, expected.level, expected.uncertainty, expected.answers_seen,
        )  # fmt: skip
    assert read_state(state)[0].position == 40
    with pytest.raises(ValueError, match="not a mastery state v2"):
        answer_state(updater.tracer, b"SKM\x01" + state[4:], 0, known, True)


def test_a_diagnostic_seed_pulls_the_estimate_towards_it_until_answers_take_over(model: MasteryModel) -> None:
    updater = ChampionUpdater(model, "7")
    _, unseeded = updater.update(None, updaters.Answer(FRACTIONS, uuid.uuid4(), True, 1.0, 0.0))
    state, seeded = updater.seed(None, skill_id=FRACTIONS, theta=-2.5, standard_error=0.4, answers=5)
    assert seeded.level < unseeded.level and seeded.answers_seen == 5
    for _ in range(30):
        state, latest = updater.update(state, updaters.Answer(FRACTIONS, uuid.uuid4(), True, 1.0, 0.0))
    assert latest.level > seeded.level + 2


def test_answers_update_mastery_with_the_champion(
    client: TestClient, session: Session, champion: ChampionUpdater, model: MasteryModel
) -> None:
    w = World(client, session)
    session.add(Skill(skill_id=FRACTIONS, slug=f"fractions-{uuid.uuid4().hex[:6]}", name="Fractions"))
    session.flush()
    questions = [w.question(single_choice(FRACTIONS)) for _ in range(3)]
    attempt = w.start(w.assessment([q["question_id"] for q in questions]))
    learner = model.new_state()
    for question, response in zip(questions, ["b", "a", "b"], strict=True):
        w.answer(attempt, question["question_id"], response)
        learner = model.update(learner, str(FRACTIONS), response == "b")
    response = client.get(f"{API}/learners/{w.learner.user_id}/mastery", headers=w.headers(w.learner))
    (item,) = response.json()["items"]
    assert item["model_version"] == "skill_mastery/7"
    assert item["p_mastery"] == pytest.approx(model.predict_next(learner, str(FRACTIONS)), abs=1e-5)
    assert item["answers_seen"] == 3


def test_a_stored_json_state_is_rewritten_binary_by_the_next_answer(
    client: TestClient, session: Session, champion: ChampionUpdater, model: MasteryModel
) -> None:
    w = World(client, session)
    session.add(Skill(skill_id=FRACTIONS, slug=f"fractions-{uuid.uuid4().hex[:6]}", name="Fractions"))
    learner = model.new_state()
    for correct in (True, True, False):
        learner = model.update(learner, str(FRACTIONS), correct)
    session.add(
        LearnerMasteryState(
            user_id=w.learner.user_id, model_version=champion.version, state=_json_state(learner, {})
        )
    )
    session.flush()
    question = w.question(single_choice(FRACTIONS))
    w.answer(w.start(w.assessment([question["question_id"]])), question["question_id"], "b")
    stored = session.scalars(
        select(LearnerMasteryState.state).where(LearnerMasteryState.user_id == w.learner.user_id)
    ).one()
    assert bytes(stored).startswith(MAGIC)
    learner = model.update(learner, str(FRACTIONS), True)
    response = client.get(f"{API}/learners/{w.learner.user_id}/mastery", headers=w.headers(w.learner))
    (item,) = response.json()["items"]
    # The JSON state's three answers were kept: four answers, and the model's estimate after them.
    assert item["answers_seen"] == 4
    assert item["p_mastery"] == pytest.approx(model.predict_next(learner, str(FRACTIONS)), abs=1e-5)


def test_a_fresh_install_uses_the_rule(tmp_path: object) -> None:
    previous = updaters.current()
    try:
        assert install_mastery_updater(Settings(home=tmp_path)) == updaters.IrtRule.version
    finally:
        updaters.install(previous)
