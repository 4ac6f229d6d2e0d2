"""Issue 11 point 6: adaptive quizzes serve the item whose predicted P(correct) is closest to the target."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app_api.mastery import updaters
from tests.app_api.assessments.helpers import World, single_choice

DIFFICULTIES = [round(-3.0 + 0.125 * n, 3) for n in range(49)]
TARGET = 0.7


def p_correct(theta: float, difficulty: float) -> float:
    return 1.0 / (1.0 + math.exp(-(theta - difficulty)))


def run_learner(w: World, quiz: dict[str, Any], learner: Any, theta: float, seed: int) -> list[float]:
    """A scripted learner of ability ``theta`` takes the quiz; returns the difficulties served, in order,
    after checking each against the rule's own prediction at that moment."""
    questions = {q["question_id"]: q for q in quiz["questions"]}
    rng = np.random.default_rng(seed)
    attempt = w.start(quiz["assessment"], user=learner)
    rule, state, served = updaters.IrtRule(), None, []
    while attempt["next_question_id"]:
        question = questions[attempt["next_question_id"]]
        open_items = [
            updaters.Item(w.sql.skill_id, q["question_id"], 1.0, q["difficulty"])
            for q in quiz["questions"]
            if q["difficulty"] not in served
        ]
        predicted = rule.predict(state, open_items)
        best = min(range(len(open_items)), key=lambda n: (abs(predicted[n] - TARGET), n))
        assert question["difficulty"] == open_items[best].difficulty
        served.append(question["difficulty"])
        correct = bool(rng.random() < p_correct(theta, question["difficulty"]))
        state, _ = rule.update(
            state,
            updaters.Answer(w.sql.skill_id, question["question_id"], correct, 1.0, question["difficulty"]),
        )
        attempt = w.answer(attempt, question["question_id"], "b" if correct else "a", user=learner).json()
    return served


def test_the_choice_tracks_scripted_learners_of_known_ability(client: TestClient, session: Session) -> None:
    w = World(client, session)
    questions = [w.question(single_choice(w.sql.skill_id), difficulty=b) for b in DIFFICULTIES]
    assessment = w.assessment(
        [q["question_id"] for q in questions],
        selection="adaptive",
        max_questions=20,
        target_standard_error=0.05,
    )
    quiz = {"assessment": assessment, "questions": questions}
    strong = run_learner(w, quiz, w.learner, theta=2.0, seed=1)
    weak = run_learner(w, quiz, w.other_learner, theta=-1.5, seed=2)
    assert len(strong) == len(weak) == 20
    # At the target the item sits logit(0.7) ≈ 0.85 below the ability; late items settle near there.
    aim = math.log(TARGET / (1 - TARGET))
    late_strong, late_weak = np.mean(strong[-4:]), np.mean(weak[-4:])
    assert abs(late_strong - (2.0 - aim)) < 0.9, strong
    assert abs(late_weak - (-1.5 - aim)) < 0.9, weak
    # ... and move towards it: the first item is the same for both (nothing known yet).
    assert strong[0] == weak[0] and late_strong > strong[0] > late_weak
    assert late_strong - late_weak > 2.5
