"""Diagnostic and adaptive attempts over HTTP: IRT levels written to the profile, max-information order."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.assessments.irt import Item, SkillPool, item_bank, theta_to_level, trajectory
from app_api.users.models import LearnerSkillLevel
from tests.app_api.assessments.helpers import World, events, single_choice

DIFFICULTIES = [float(b) for b in np.linspace(-2.8, 2.8, 15)]


def bank(w: World, skill_id: Any) -> list[dict[str, Any]]:
    return [w.question(single_choice(skill_id), difficulty=b, prompt=f"b={b:.2f}") for b in DIFFICULTIES]


def levels(session: Session, w: World) -> dict[Any, tuple[float, float | None, str]]:
    rows = session.scalars(
        select(LearnerSkillLevel)
        .where(LearnerSkillLevel.user_id == w.learner.user_id)
        .execution_options(populate_existing=True)
    )
    return {row.skill_id: (row.level, row.standard_error, row.source) for row in rows}


def test_fixed_diagnostic_writes_irt_levels_with_uncertainty(client: TestClient, session: Session) -> None:
    w = World(client, session)
    sql = [w.question(single_choice(w.sql.skill_id), difficulty=b) for b in (-1.0, 0.0, 1.0, 2.0)]
    stats = [w.question(single_choice(w.stats.skill_id), difficulty=b) for b in (-1.0, 0.0, 1.0)]
    diagnostic = w.assessment([q["question_id"] for q in sql + stats], assessment_type="diagnostic")
    # A learner's self-assessment is replaced by the measurement (the answers' mastery first, issue 11).
    session.add(
        LearnerSkillLevel(user_id=w.learner.user_id, skill_id=w.sql.skill_id, level=2.0, source="self")
    )
    session.flush()

    attempt = w.start(diagnostic)
    sql_answers = ["b", "b", "b", "a"]  # right, right, right, wrong
    for question, response in zip(sql, sql_answers, strict=True):
        w.answer(attempt, question["question_id"], response)
    for question in stats:
        w.answer(attempt, question["question_id"], "a")  # all wrong
    result = w.submit(attempt).json()["result"]

    expected_sql = trajectory(
        item_bank([Item(1.0, b) for b in (-1.0, 0.0, 1.0, 2.0)]), [0, 1, 2, 3], [True, True, True, False]
    )[-1]
    expected_stats = trajectory(item_bank([Item(1.0, b) for b in (-1.0, 0.0, 1.0)]), [0, 1, 2], [False] * 3)[
        -1
    ]
    estimates = {e["skill_id"]: e for e in result["skill_estimates"]}
    assert estimates[str(w.sql.skill_id)]["theta"] == pytest.approx(expected_sql.theta)
    assert estimates[str(w.sql.skill_id)]["answered"] == 4
    assert estimates[str(w.stats.skill_id)]["theta"] == pytest.approx(expected_stats.theta)
    assert expected_sql.theta > 1.0
    assert expected_stats.theta == -0.875  # all wrong: Dodd's steps half-way to the easiest item, b = -1

    written = levels(session, w)
    sql_level, sql_error, sql_source = written[w.sql.skill_id]
    assert (sql_level, sql_source) == (round(theta_to_level(expected_sql.theta), 2), "diagnostic")
    assert sql_error == pytest.approx(round(1.5 * expected_sql.standard_error, 2))
    assert written[w.stats.skill_id][0] == round(theta_to_level(expected_stats.theta), 2)
    assert written[w.stats.skill_id][0] < 5.5 < sql_level

    (profile_event,) = events(session, verb="updated", object_type="profile")
    changes = {c["skill_id"]: c for c in profile_event["extensions"]["changes"]["skill_levels"]}
    # Each answer moved the level (source mastery); the graded diagnostic then replaces it.
    assert changes[str(w.sql.skill_id)]["previous_source"] == "mastery"
    assert changes[str(w.sql.skill_id)]["previous_level"] != 2.0
    assert changes[str(w.sql.skill_id)]["level"] == sql_level
    assert profile_event["actor_id"] == w.learner.user_id
    assert profile_event["object_id"] == str(w.learner.user_id)


def test_adaptive_diagnostic_recovers_a_simulated_learner(client: TestClient, session: Session) -> None:
    w = World(client, session)
    truth = {str(w.sql.skill_id): 1.5, str(w.stats.skill_id): -1.0}
    questions = {q["question_id"]: q for q in bank(w, w.sql.skill_id) + bank(w, w.stats.skill_id)}
    diagnostic = w.assessment(
        list(questions),
        assessment_type="diagnostic",
        selection="adaptive",
        max_questions=20,
        target_standard_error=0.3,
    )
    rng = np.random.default_rng(2026)

    attempt = w.start(diagnostic)
    assert len(attempt["questions"]) == 1
    first = questions[attempt["next_question_id"]]
    assert (first["skill_id"], first["difficulty"]) == (str(w.sql.skill_id), pytest.approx(0.0))
    served = [attempt["next_question_id"]]
    while not attempt["finished"]:
        question = questions[attempt["next_question_id"]]
        p_right = 1 / (1 + math.exp(-(truth[question["skill_id"]] - question["difficulty"])))
        saved = w.answer(attempt, question["question_id"], "b" if rng.random() < p_right else "a")
        assert saved.status_code == 200, saved.text
        attempt = saved.json()
        assert "correct" not in saved.text
        if attempt["next_question_id"]:
            served.append(attempt["next_question_id"])
    assert len(served) == 20 and len(set(served)) == 20  # the cap, no question twice
    assert attempt["next_question_id"] is None
    per_skill = [questions[q]["skill_id"] for q in served]
    counts = {skill_id: per_skill.count(skill_id) for skill_id in truth}
    # The least certain skill goes next, so the two skills share the questions about evenly.
    assert sorted(counts.values())[0] >= 8
    assert w.answer(attempt, served[0], "b").status_code == 409  # adaptive answers are final

    result = w.submit(attempt).json()["result"]
    assert result["total"] == 20
    for estimate in result["skill_estimates"]:
        assert abs(estimate["theta"] - truth[estimate["skill_id"]]) <= 2 * estimate["standard_error"]
        assert estimate["answered"] == counts[estimate["skill_id"]]
        assert estimate["level_standard_error"] == pytest.approx(1.5 * estimate["standard_error"])
    written = levels(session, w)
    assert written[w.sql.skill_id][0] > written[w.stats.skill_id][0]
    assert {source for _, _, source in written.values()} == {"diagnostic"}
    assert len(events(session, verb="answered", actor_id=w.learner.user_id)) == 20
    assert events(session, verb="attempted")[0]["extensions"]["question_id"] == served[0]


def test_each_adaptive_diagnostic_question_is_the_most_informative_at_the_current_estimate(
    client: TestClient, session: Session
) -> None:
    # Practice quizzes aim at a P(correct) instead (issue 11 point 6: tests/app_api/mastery).
    w = World(client, session)
    questions = {q["question_id"]: q for q in bank(w, w.sql.skill_id)}
    adaptive = w.assessment(
        list(questions), selection="adaptive", max_questions=6, assessment_type="diagnostic"
    )
    attempt = w.start(adaptive)
    pool = SkillPool([Item(1.0, b) for b in DIFFICULTIES])
    for response in ["b", "b", "a", "b", "a", "b"]:
        question = questions[attempt["next_question_id"]]
        theta = pool.estimate().theta
        remaining = [b for i, b in enumerate(DIFFICULTIES) if i not in pool.administered]
        assert question["difficulty"] == min(remaining, key=lambda b: abs(b - theta))
        pool.administered.append(DIFFICULTIES.index(question["difficulty"]))
        pool.responses.append(response == "b")
        attempt = w.answer(attempt, question["question_id"], response).json()
    assert attempt["finished"] is True
    result = w.submit(attempt).json()["result"]
    assert result["score_scaled"] == pytest.approx(4 / 6)
    assert result["skill_estimates"][0]["theta"] == pytest.approx(pool.estimate().theta)
    assert levels(session, w)[w.sql.skill_id][2] == "diagnostic"
