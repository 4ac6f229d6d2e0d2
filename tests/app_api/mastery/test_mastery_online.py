"""Issue 11 point 5: every answer updates mastery at once, the profile follows, a diagnostic seeds it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app_api.mastery import updaters
from app_api.mastery.models import LearnerMasteryState, LearnerSkillMastery
from app_api.users.models import LearnerSkillLevel
from tests.app_api.assessments.helpers import API, World, events, single_choice


def mastery(w: World, learner: Any = None, by: Any = None) -> Any:
    learner = learner or w.learner
    return w.client.get(f"{API}/learners/{learner.user_id}/mastery", headers=w.headers(by or learner))


def quiz(w: World, difficulties: list[float], skill: Any = None, **fields: Any) -> dict[str, Any]:
    skill_id = (skill or w.sql).skill_id
    questions = [w.question(single_choice(skill_id), difficulty=b) for b in difficulties]
    return w.assessment([q["question_id"] for q in questions], **fields)


def test_each_answer_moves_mastery_and_the_profile_level(client: TestClient, session: Session) -> None:
    w = World(client, session)
    assessment = quiz(w, [0.0, 0.0, 0.0, 0.0])
    attempt = w.start(assessment)
    assert mastery(w).json()["items"] == []
    rule, expected_state = updaters.IrtRule(), None
    levels = []
    for question, response in zip(attempt["questions"], ["b", "b", "a", "b"], strict=True):
        assert w.answer(attempt, question["question_id"], response).status_code == 200
        expected_state, expected = rule.update(
            expected_state,
            updaters.Answer(w.sql.skill_id, question["question_id"], response == "b", 1.0, 0.0),
        )
        (item,) = mastery(w).json()["items"]
        assert item["skill_id"] == str(w.sql.skill_id)
        assert item["p_mastery"] == pytest.approx(expected.p_mastery)
        assert item["level"] == pytest.approx(expected.level)
        assert item["uncertainty"] == pytest.approx(expected.uncertainty)
        assert item["answers_seen"] == expected.answers_seen
        assert item["model_version"] == updaters.IrtRule.version
        levels.append(item["level"])
        profile = session.scalars(
            select(LearnerSkillLevel)
            .where(LearnerSkillLevel.user_id == w.learner.user_id)
            .execution_options(populate_existing=True)
        ).one()
        assert (profile.level, profile.source) == (round(item["level"], 2), "mastery")
    # Right answers raise it, a wrong one lowers it, and the uncertainty narrows with evidence.
    assert levels[0] > 5.5 and levels[1] > levels[0] and levels[2] < levels[1] and levels[3] > levels[2]
    answered = events(session, verb="answered", actor_id=w.learner.user_id)
    assert [e["extensions"]["mastery"]["level"] for e in answered] == [round(v, 2) for v in levels]
    assert answered[1]["extensions"]["mastery"]["previous_level"] == round(levels[0], 2)


def test_a_diagnostic_seeds_mastery_with_its_irt_estimate(client: TestClient, session: Session) -> None:
    w = World(client, session)
    diagnostic = quiz(w, [-1.0, 0.0, 1.0], assessment_type="diagnostic")
    attempt = w.start(diagnostic)
    for question in attempt["questions"]:
        w.answer(attempt, question["question_id"], "b")
    result = w.submit(attempt).json()["result"]
    (estimate,) = result["skill_estimates"]
    (item,) = mastery(w).json()["items"]
    assert item["level"] == pytest.approx(estimate["level"])
    assert item["answers_seen"] == 3
    # The next answer starts from the diagnostic's estimate, not from scratch.
    practice = quiz(w, [0.0])
    practice_attempt = w.start(practice)
    w.answer(practice_attempt, practice_attempt["questions"][0]["question_id"], "a")
    (after,) = mastery(w).json()["items"]
    assert 5.5 < after["level"] < estimate["level"]
    assert after["answers_seen"] == 4


def test_who_may_read_a_learners_mastery(client: TestClient, session: Session) -> None:
    w = World(client, session)
    attempt = w.start(quiz(w, [0.0]))
    w.answer(attempt, attempt["questions"][0]["question_id"], "b")
    assert len(mastery(w).json()["items"]) == 1
    assert len(mastery(w, by=w.owner).json()["items"]) == 1  # teaches a course the learner takes
    assert len(mastery(w, by=w.admin).json()["items"]) == 1
    refused = mastery(w, by=w.other_instructor)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert mastery(w, by=w.other_learner).status_code == 403
    ghost = w.client.get(f"{API}/learners/{w.course.course_id}/mastery", headers=w.headers(w.admin))
    assert ghost.status_code == 404


def test_a_failing_updater_falls_back_to_the_rule(client: TestClient, session: Session) -> None:
    class Broken(updaters.IrtRule):
        version = "broken/1"

        def update(self, state: bytes | None, answer: updaters.Answer) -> Any:
            raise RuntimeError("model crashed")

    w = World(client, session)
    previous = updaters.install(Broken())
    try:
        attempt = w.start(quiz(w, [0.0]))
        assert w.answer(attempt, attempt["questions"][0]["question_id"], "b").status_code == 200
    finally:
        updaters.install(previous)
    (item,) = mastery(w).json()["items"]
    assert item["model_version"] == updaters.IrtRule.version and item["level"] > 5.5


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL the session's connection runs through SQLAlchemy meanwhile (the mastery write, which runs
    on the psycopg connection itself, is not among them)."""
    seen: list[str] = []
    connection = session.connection()

    def remember(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", remember)


def stored_state(session: Session, w: World) -> bytes | None:
    state = session.scalar(
        select(LearnerMasteryState.state)
        .where(LearnerMasteryState.user_id == w.learner.user_id)
        .execution_options(populate_existing=True)
    )
    return None if state is None else bytes(state)


def test_the_question_and_the_state_are_read_in_one_statement(client: TestClient, session: Session) -> None:
    w = World(client, session)
    attempt = w.start(quiz(w, [0.0, 0.0]))
    first, second = (q["question_id"] for q in attempt["questions"])
    # The learner has no state yet: the statement finds none, and the answer writes the first one.
    with statements(session) as seen:
        assert w.answer(attempt, first, "b").status_code == 200
    (read,) = [sql for sql in seen if "learner_mastery_states" in sql]
    assert "FROM questions" in read and "FOR UPDATE OF learner_mastery_states" in read
    (item,) = mastery(w).json()["items"]
    assert item["answers_seen"] == 1 and item["level"] > 5.5
    after_first = stored_state(session, w)
    assert after_first is not None
    # With a state: the same one statement, and the answer advances the stored state.
    with statements(session) as seen:
        assert w.answer(attempt, second, "a").status_code == 200
    assert len([sql for sql in seen if "learner_mastery_states" in sql]) == 1
    (item,) = mastery(w).json()["items"]
    assert item["answers_seen"] == 2
    assert stored_state(session, w) not in (None, after_first)


def test_an_answer_sent_again_is_not_applied_twice(client: TestClient, session: Session) -> None:
    w = World(client, session)
    attempt = w.start(quiz(w, [0.0]))
    question_id = attempt["questions"][0]["question_id"]
    assert w.answer(attempt, question_id, "b").status_code == 200
    (before,) = mastery(w).json()["items"]
    state = stored_state(session, w)
    # A retry of the same answer (a client that lost the response) changes nothing and records nothing.
    retried = w.answer(attempt, question_id, "b")
    assert retried.status_code == 200
    assert mastery(w).json()["items"] == [before]
    assert stored_state(session, w) == state
    assert len(events(session, verb="answered", actor_id=w.learner.user_id)) == 1
    # A changed answer is a new answer: it moves mastery again, and the attempt is graded on it.
    assert w.answer(attempt, question_id, "a").status_code == 200
    (changed,) = mastery(w).json()["items"]
    assert changed["answers_seen"] == 2 and changed["level"] < before["level"]
    assert len(events(session, verb="answered", actor_id=w.learner.user_id)) == 2
    assert w.submit(attempt).json()["result"]["score_scaled"] == 0.0


def test_with_online_updates_off_an_answer_reads_no_mastery(client: TestClient, session: Session) -> None:
    w = World(client, session)
    attempt = w.start(quiz(w, [0.0]))
    previous_policy = updaters.policy()
    updaters.install(updaters.current(), updaters.Policy(online=False))
    try:
        with statements(session) as seen:
            assert w.answer(attempt, attempt["questions"][0]["question_id"], "b").status_code == 200
    finally:
        updaters.install(updaters.current(), previous_policy)
    assert [sql for sql in seen if "FROM questions" in sql]  # the question was loaded
    assert not [sql for sql in seen if "learner_mastery_states" in sql or "learner_skill_mastery" in sql]
    written = select(func.count()).where(LearnerSkillMastery.user_id == w.learner.user_id)
    assert session.scalar(written) == 0
    (answered,) = events(session, verb="answered", actor_id=w.learner.user_id)
    assert "mastery" not in answered["extensions"]
