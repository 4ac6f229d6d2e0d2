"""Issue 11 point 5: the champion knowledge tracer as the API's mastery updater, state kept in Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app_api.courses.models import Skill
from app_api.mastery import updaters
from models.mastery.model import MasteryModel, fit_mastery
from serving.mastery import ChampionUpdater
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
        learner = model.update(learner, str(FRACTIONS), correct)
        assert estimate.p_mastery == pytest.approx(model.predict_next(learner, str(FRACTIONS)), abs=1e-12)
    (fractions,) = [m for m in model.mastery(learner) if m.skill_id == str(FRACTIONS)]
    assert estimate.answers_seen == fractions.answers == 6
    assert estimate.uncertainty == pytest.approx(fractions.standard_error)
    np.testing.assert_allclose(updater._read(state)[0].hidden, learner.hidden)
    assert updater._read(state)[0].answers == learner.answers


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
    assert item["p_mastery"] == pytest.approx(model.predict_next(learner, str(FRACTIONS)), abs=1e-9)
    assert item["answers_seen"] == 3


def test_a_fresh_install_uses_the_rule(tmp_path: object) -> None:
    previous = updaters.current()
    try:
        assert install_mastery_updater(Settings(home=tmp_path)) == updaters.IrtRule.version
    finally:
        updaters.install(previous)
