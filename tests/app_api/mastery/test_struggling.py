"""Issue 11 point 7: struggling on a skill — noticed, notified with revision content, easier questions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.courses.models import CourseSkill, Lesson
from app_api.mastery import struggling, updaters
from tests.app_api.assessments.helpers import API, World, events, single_choice

DIFFICULTIES = [round(-3.0 + 0.125 * n, 3) for n in range(49)]


class Learner:
    """A scripted learner in an adaptive practice quiz, mirroring the server's rule to know its targets."""

    def __init__(self, w: World, questions: list[dict[str, Any]], assessment: dict[str, Any]) -> None:
        self.w, self.questions = w, {q["question_id"]: q for q in questions}
        self.attempt = w.start(assessment)
        self.rule, self.state, self.served = updaters.IrtRule(), None, []  # type: ignore[var-annotated]

    def expected_next(self, target: float) -> float:
        """The difficulty the server should serve next for ``target`` (closest predicted P(correct))."""
        open_items = [
            updaters.Item(self.w.sql.skill_id, q["question_id"], 1.0, q["difficulty"])
            for q in self.questions.values()
            if q["question_id"] not in self.served
        ]
        predicted = self.rule.predict(self.state, open_items)
        best = min(range(len(open_items)), key=lambda n: (abs(predicted[n] - target), n))
        return float(open_items[best].difficulty)

    def answer(self, correct: bool) -> None:
        question = self.questions[self.attempt["next_question_id"]]
        self.served.append(question["question_id"])
        self.state, _ = self.rule.update(
            self.state,
            updaters.Answer(
                self.w.sql.skill_id, question["question_id"], correct, 1.0, question["difficulty"]
            ),
        )
        response = self.w.answer(self.attempt, question["question_id"], "b" if correct else "a")
        assert response.status_code == 200, response.text
        self.attempt = response.json()

    @property
    def next_difficulty(self) -> float:
        return float(self.questions[self.attempt["next_question_id"]]["difficulty"])


def setting(w: World, session: Session) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    session.add(CourseSkill(course_id=w.course.course_id, skill_id=w.sql.skill_id))
    for position, title in enumerate(["GROUP BY basics", "HAVING vs WHERE"], start=1):
        session.add(Lesson(lesson_id=uuid.uuid4(), course_id=w.course.course_id, position=position,
                           title=title, estimated_minutes=10))  # fmt: skip
    session.flush()
    questions = [w.question(single_choice(w.sql.skill_id), difficulty=b) for b in DIFFICULTIES]
    assessment = w.assessment(
        [q["question_id"] for q in questions],
        selection="adaptive",
        max_questions=40,
        target_standard_error=0.05,
    )
    return questions, assessment


def notices(session: Session, w: World) -> list[Any]:
    return list(
        session.execute(
            text("select title, data, dedupe_key from notifications where user_id = :user_id "
                 "and kind = 'struggling_skill' order by created_at"),
            {"user_id": w.learner.user_id},
        )
    )  # fmt: skip


def struggling_now(w: World) -> bool:
    response = w.client.get(f"{API}/learners/{w.learner.user_id}/mastery", headers=w.headers(w.learner))
    (item,) = response.json()["items"]
    return bool(item["struggling"])


def test_a_learner_who_keeps_failing_is_noticed_once_and_gets_easier_questions(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    questions, assessment = setting(w, session)
    learner = Learner(w, questions, assessment)
    for number in range(1, struggling.MIN_ANSWERS):
        learner.answer(False)
        assert not struggling_now(w) and notices(session, w) == [], number
    learner.answer(False)  # the fourth wrong answer in a row, after practice: struggling starts
    assert struggling_now(w)
    (notice,) = notices(session, w)
    assert notice.title == "Let's revise SQL"
    assert [lesson["title"] for lesson in notice.data["lessons"]] == ["GROUP BY basics", "HAVING vs WHERE"]
    difficulties = [q["difficulty"] for q in notice.data["questions"]]
    assert difficulties == DIFFICULTIES[:5]  # easiest first
    (event,) = events(session, verb="struggled", actor_id=w.learner.user_id)
    assert (event["object_type"], event["object_id"]) == ("skill", str(w.sql.skill_id))
    assert event["extensions"]["questions"] == [q["question_id"] for q in notice.data["questions"]]
    # The next question aims at the struggling target (easier) rather than the usual one.
    assert learner.next_difficulty == learner.expected_next(updaters.Policy().struggling_target)
    assert learner.next_difficulty != learner.expected_next(updaters.Policy().target)
    for _ in range(3):  # still failing: the same episode, no second notification
        learner.answer(False)
        assert learner.next_difficulty == learner.expected_next(updaters.Policy().struggling_target)
    assert len(notices(session, w)) == 1 and struggling_now(w)


def test_a_learner_who_recovers_leaves_the_episode_and_a_new_one_notifies_again(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    questions, assessment = setting(w, session)
    learner = Learner(w, questions, assessment)
    for _ in range(struggling.MIN_ANSWERS):
        learner.answer(False)
    assert struggling_now(w)
    for _ in range(struggling.RIGHT_TO_RECOVER):
        learner.answer(True)
    assert not struggling_now(w)
    assert learner.next_difficulty == learner.expected_next(updaters.Policy().target)
    for _ in range(struggling.WRONG_IN_A_ROW):
        learner.answer(False)
    assert struggling_now(w)
    first, second = notices(session, w)
    assert first.dedupe_key != second.dedupe_key
    assert len(events(session, verb="struggled", actor_id=w.learner.user_id)) == 2
