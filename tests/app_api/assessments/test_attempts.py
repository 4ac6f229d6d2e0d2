"""Taking a quiz: answers hidden until submission, server-side grades, limits, events, privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.assessments.models import AssessmentAttempt, AttemptItem
from tests.app_api.assessments.helpers import (
    API,
    World,
    events,
    multiple_choice,
    numeric,
    short_text,
    single_choice,
)
from tests.factories import make_user

# Strings and keys that only an answer key (or a grade) contains.
SECRETS = (
    "correct",
    "accepted",
    "Standard deviation",
    "std dev",
    "3.0666",
    "tolerance",
    "difficulty",
    "discrimination",
    "is_correct",
    "answer_key",
)


@pytest.fixture
def quiz(client: TestClient, session: Session) -> tuple[World, dict[str, Any], list[dict[str, Any]]]:
    w = World(client, session)
    questions = [
        w.question(single_choice(w.sql.skill_id)),
        w.question(multiple_choice(w.sql.skill_id)),
        w.question(numeric(w.stats.skill_id)),
        w.question(short_text(w.stats.skill_id)),
    ]
    assessment = w.assessment([q["question_id"] for q in questions], pass_threshold=0.7)
    return w, assessment, questions


def assert_no_secrets(body: str) -> None:
    leaked = [secret for secret in SECRETS if secret.lower() in body.lower()]
    assert leaked == [], f"{leaked} sent before submission: {body}"


def test_answer_keys_never_reach_a_learner_before_submission(quiz: tuple, client: TestClient) -> None:
    w, assessment, questions = quiz
    assert_no_secrets(
        client.get(f"{API}/assessments/{assessment['assessment_id']}", headers=w.headers(w.learner)).text
    )
    started = client.post(
        f"{API}/assessments/{assessment['assessment_id']}/attempts", headers=w.headers(w.learner)
    )
    assert_no_secrets(started.text)
    attempt = started.json()
    assert [q["question_id"] for q in attempt["questions"]] == [q["question_id"] for q in questions]
    assert attempt["questions"][0]["options"] == [
        {"id": "a", "text": "WHERE"},
        {"id": "b", "text": "HAVING"},
        {"id": "c", "text": "ORDER BY"},
    ]
    assert attempt["result"] is None
    for question, response in zip(questions, ["b", ["sum"], 3.07, "STD  dev"], strict=True):
        saved = w.answer(attempt, question["question_id"], response)
        assert saved.status_code == 200
        assert_no_secrets(saved.text)
    assert_no_secrets(
        client.get(f"{API}/attempts/{attempt['attempt_id']}", headers=w.headers(w.learner)).text
    )

    graded = w.submit(attempt).json()
    assert graded["result"]["items"][3]["correct_answer"]["accepted"] == ["Standard deviation", "std dev"]
    assert graded["result"]["items"][2]["correct_answer"] == {
        "options": None,
        "value": 3.0666,
        "tolerance": 0.01,
        "accepted": None,
    }


def test_attempt_is_graded_per_question_with_its_events(
    quiz: tuple, client: TestClient, session: Session
) -> None:
    w, assessment, questions = quiz
    attempt = w.start(assessment)
    w.answer(attempt, questions[0]["question_id"], "a")
    w.answer(attempt, questions[0]["question_id"], "b")  # changed before submitting: the last answer counts
    w.answer(attempt, questions[1]["question_id"], ["avg"])
    graded = w.submit(
        attempt,
        [
            {"question_id": questions[2]["question_id"], "response": 3.07},
            {"question_id": questions[3]["question_id"], "response": "  standard DEVIATION"},
        ],
    )
    assert graded.status_code == 200, graded.text
    result = graded.json()["result"]
    assert [item["is_correct"] for item in result["items"]] == [True, False, True, True]
    assert [item["response"] for item in result["items"]] == ["b", ["avg"], 3.07, "  standard DEVIATION"]
    assert (result["score_scaled"], result["success"], result["correct"], result["total"]) == (
        0.75,
        True,
        3,
        4,
    )
    assert graded.json()["status"] == "graded"

    stored = session.get(AssessmentAttempt, attempt["attempt_id"])
    assert stored is not None and (stored.score_scaled, stored.success, stored.attempt_number) == (
        0.75,
        True,
        1,
    )
    # The attempt's own events (passing it also earns a level and a badge: gamification's, tested there).
    written = [
        e for e in events(session, actor_id=w.learner.user_id) if e["object_type"] not in ("level", "badge")
    ]
    assert [(e["verb"], e["object_type"]) for e in written] == [
        ("attempted", "assessment"),
        ("answered", "question"),
        ("answered", "question"),
        ("answered", "question"),
        ("answered", "question"),
        ("answered", "question"),
        ("passed", "assessment"),
    ]
    answered = [e for e in written if e["verb"] == "answered"]
    assert [(e["response"], e["success"]) for e in answered] == [
        ("a", False),
        ("b", True),
        ("avg", False),
        ("3.07", True),
        ("  standard DEVIATION", True),
    ]
    assert {(e["registration"], e["attempt"], e["course_id"]) for e in written} == {
        (w.enrollment.enrollment_id, 1, w.course.course_id)
    }
    passed = written[-1]
    assert (passed["score_scaled"], passed["success"], passed["completion"]) == (0.75, True, True)
    assert passed["extensions"] | {"attempt_id": None} == {
        "attempt_id": None,
        "late": False,
        "correct": 3,
        "total": 4,
    }


def test_below_threshold_fails_unanswered_count_wrong_and_answers_can_stay_hidden(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    questions = [w.question(), w.question(numeric(w.stats.skill_id))]
    assessment = w.assessment([q["question_id"] for q in questions], pass_threshold=0.9, reveal_answers=False)
    attempt = w.start(assessment)
    w.answer(attempt, questions[0]["question_id"], "b")
    result = w.submit(attempt).json()["result"]
    assert (result["score_scaled"], result["success"]) == (0.5, False)
    assert [(item["is_correct"], item["correct_answer"]) for item in result["items"]] == [
        (True, None),
        (False, None),
    ]
    assert [e["verb"] for e in events(session, object_type="assessment", actor_id=w.learner.user_id)] == [
        "attempted",
        "failed",
    ]


def test_attempt_limit_and_one_attempt_at_a_time(client: TestClient, session: Session) -> None:
    w = World(client, session)
    question = w.question()
    assessment = w.assessment([question["question_id"]], max_attempts=2)
    url = f"{API}/assessments/{assessment['assessment_id']}/attempts"
    first = w.start(assessment)
    busy = client.post(url, headers=w.headers(w.learner))
    assert (busy.status_code, busy.json()["attempt_id"]) == (409, first["attempt_id"])
    w.submit(first)
    second = w.start(assessment)
    assert second["attempt_number"] == 2
    w.submit(second)
    refused = client.post(url, headers=w.headers(w.learner))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "all 2 attempts" in refused.json()["detail"]
    assert len(events(session, verb="attempted", actor_id=w.learner.user_id)) == 2
    assert w.start(assessment, w.other_learner)["attempt_number"] == 1  # the limit is per learner


def test_time_limit_refuses_late_answers_and_grades_only_answers_saved_in_time(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    questions = [w.question(), w.question()]
    assessment = w.assessment([q["question_id"] for q in questions], time_limit_s=60)
    attempt = w.start(assessment)
    started = datetime.fromisoformat(attempt["started_at"])
    assert datetime.fromisoformat(attempt["expires_at"]) - started == timedelta(seconds=60)
    assert w.answer(attempt, questions[0]["question_id"], "b").status_code == 200

    stored = session.get(AssessmentAttempt, attempt["attempt_id"])
    assert stored is not None
    stored.started_at = datetime.now(UTC) - timedelta(minutes=2)
    stored.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    late_answer = w.answer(attempt, questions[1]["question_id"], "b")
    assert late_answer.status_code == 409 and "Time is up" in late_answer.json()["detail"]
    graded = w.submit(attempt, [{"question_id": questions[1]["question_id"], "response": "b"}]).json()
    assert (graded["submitted_late"], graded["result"]["score_scaled"]) == (True, 0.5)
    assert [item["response"] for item in graded["result"]["items"]] == ["b", None]
    completed = events(session, verb="completed", actor_id=w.learner.user_id)
    assert completed[0]["extensions"]["late"] is True and completed[0]["score_scaled"] == 0.5
    assert len(events(session, verb="answered", actor_id=w.learner.user_id)) == 1


def test_an_expired_attempt_is_closed_when_the_next_one_starts(client: TestClient, session: Session) -> None:
    w = World(client, session)
    question = w.question()
    assessment = w.assessment([question["question_id"]], time_limit_s=30)
    first = w.start(assessment)
    w.answer(first, question["question_id"], "b")
    stored = session.get(AssessmentAttempt, first["attempt_id"])
    assert stored is not None
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=10)
    session.flush()
    second = w.start(assessment)
    assert second["attempt_number"] == 2
    closed = client.get(f"{API}/attempts/{first['attempt_id']}", headers=w.headers(w.learner)).json()
    assert (closed["status"], closed["submitted_late"], closed["result"]["score_scaled"]) == (
        "graded",
        True,
        1.0,
    )
    assert [e["verb"] for e in events(session, object_type="assessment", actor_id=w.learner.user_id)] == [
        "attempted",
        "completed",
        "attempted",
    ]


def test_quizzes_need_an_enrollment_and_drafts_cannot_be_started(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    outsider = make_user(session, role="learner")
    question = w.question()
    quiz = w.assessment([question["question_id"]])
    refused = client.post(f"{API}/assessments/{quiz['assessment_id']}/attempts", headers=w.headers(outsider))
    assert refused.status_code == 403 and "Enroll" in refused.json()["detail"]
    diagnostic = w.assessment([question["question_id"]], assessment_type="diagnostic")
    assert w.start(diagnostic, outsider)["attempt_number"] == 1
    draft = w.assessment([question["question_id"]], status="draft")
    assert (
        client.post(
            f"{API}/assessments/{draft['assessment_id']}/attempts", headers=w.headers(w.owner)
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"{API}/assessments/{draft['assessment_id']}/attempts", headers=w.headers(w.learner)
        ).status_code
        == 404
    )
    empty = w.assessment([])
    assert (
        client.post(
            f"{API}/assessments/{empty['assessment_id']}/attempts", headers=w.headers(w.learner)
        ).status_code
        == 409
    )


def test_bad_answers_and_closed_attempts_are_refused(
    quiz: tuple, client: TestClient, session: Session
) -> None:
    w, assessment, questions = quiz
    attempt = w.start(assessment)
    bad = w.answer(attempt, questions[2]["question_id"], "three")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "body.response")
    assert "finite number" in bad.json()["detail"]
    foreign = w.question()
    assert w.answer(attempt, foreign["question_id"], "b").status_code == 409
    w.submit(attempt)
    assert w.answer(attempt, questions[0]["question_id"], "b").status_code == 409
    assert w.submit(attempt).status_code == 409
    assert session.scalars(
        select(AttemptItem.response).where(AttemptItem.attempt_id == attempt["attempt_id"])
    ).all() == [None, None, None, None]


def test_learners_see_only_their_own_attempts(quiz: tuple, client: TestClient) -> None:
    w, assessment, questions = quiz
    mine, theirs = w.start(assessment), w.start(assessment, w.other_learner)
    other = w.headers(w.other_learner)
    assert client.get(f"{API}/attempts/{mine['attempt_id']}", headers=other).status_code == 403
    assert w.answer(mine, questions[0]["question_id"], "b", user=w.other_learner).status_code == 403
    assert w.submit(mine, user=w.other_learner).status_code == 403
    assert w.submit(mine, user=w.admin).status_code == 403  # nobody answers for a learner
    assert client.get(f"{API}/learners/{w.learner.user_id}/attempts", headers=other).status_code == 403
    assert (
        client.get(f"{API}/attempts/{mine['attempt_id']}", headers=w.headers(w.other_instructor)).status_code
        == 403
    )

    own = client.get(f"{API}/learners/{w.learner.user_id}/attempts", headers=w.headers(w.learner)).json()
    assert [a["attempt_id"] for a in own["items"]] == [mine["attempt_id"]]
    by_admin = client.get(f"{API}/learners/{w.learner.user_id}/attempts", headers=w.headers(w.admin)).json()
    assert [a["attempt_id"] for a in by_admin["items"]] == [mine["attempt_id"]]
    url = f"{API}/assessments/{assessment['assessment_id']}/attempts"
    assert [a["attempt_id"] for a in client.get(url, headers=other).json()["items"]] == [theirs["attempt_id"]]
    assert client.get(url, params={"learner_id": str(w.learner.user_id)}, headers=other).status_code == 403
    everyone = client.get(url, params={"limit": 1}, headers=w.headers(w.owner)).json()
    rest = client.get(
        url, params={"limit": 1, "cursor": everyone["next_cursor"]}, headers=w.headers(w.owner)
    ).json()
    assert {everyone["items"][0]["attempt_id"], rest["items"][0]["attempt_id"]} == {
        mine["attempt_id"],
        theirs["attempt_id"],
    }
    assert client.get(f"{API}/attempts/{mine['attempt_id']}", headers=w.headers(w.owner)).status_code == 200
    assert client.get(url, params={"cursor": "not-a-cursor"}, headers=w.headers(w.owner)).status_code == 400
