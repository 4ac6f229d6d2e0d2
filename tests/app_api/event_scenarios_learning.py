"""Scenarios of the learning routes: enrollment, progress, question bank, assessments, attempts, goals
(and, by importing ``event_scenarios_notifications``, notifications).

Importing this module completes ``SCENARIOS`` (the accounts and catalogue ones come from
``event_scenarios``); the test imports the table from here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import tests.app_api.event_scenarios_social  # noqa: F401  (registers its scenarios)
from app_api.gamification.rules import seeded_achievement_id
from tests.app_api import (
    event_scenarios_certificates,  # noqa: F401  (registers its scenarios)
    event_scenarios_gamification,  # noqa: F401  (registers its scenarios)
    event_scenarios_notifications,  # noqa: F401  (registers its scenarios)
)
from tests.app_api.certificates.helpers import certificate_of
from tests.app_api.event_scenarios import SCENARIOS, STALE, Call, Scenario, if_match, scenario
from tests.app_api.integration_world import World, etag_of

__all__ = ["SCENARIOS"]

# What XP, a level-up and a badge change (issue 15): the ledger, the totals, the unlock, its notifications.
GAMIFICATION = ("xp_transactions", "learner_stats", "user_achievements", "notifications")


# ---- enrollment and progress (learner A)


@scenario("POST", "/courses/{course_id}/enrollments")
def _enroll(w: World) -> Scenario:
    course = w.course()
    advanced = w.course(prerequisites=[course["course_id"]])
    learner = w.id("learner")
    return Scenario(
        success=Call("learner", "POST", f"/courses/{course['course_id']}/enrollments"),
        events=lambda r: [("registered", "course", course["course_id"], learner)],
        tables=frozenset({"enrollments"}),
        # The prerequisite is not completed yet.
        failure=Call("learner", "POST", f"/courses/{advanced['course_id']}/enrollments"),
        failure_status=409,
    )


@scenario("POST", "/enrollments/{enrollment_id}/drop")
def _drop(w: World) -> Scenario:
    course = w.course()
    enrollment = w.enroll(course)
    path = f"/enrollments/{enrollment['enrollment_id']}/drop"
    return Scenario(
        success=Call("learner", "POST", path),
        events=lambda r: [("unregistered", "course", course["course_id"], w.id("learner"))],
        tables=frozenset({"enrollments"}),
        failure=Call("other_learner", "POST", path),
        failure_status=403,
    )


@scenario("POST", "/enrollments/{enrollment_id}/lessons/{lesson_id}/progress")
def _progress(w: World) -> Scenario:
    course = w.course(lessons=1)
    lesson = w.lessons(course)[0]
    enrollment = w.enroll(course)
    path = f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson['lesson_id']}/progress"
    learner = w.id("learner")
    return Scenario(
        success=Call("learner", "POST", path, json={"percent": 100, "time_spent_s": 600}),
        # The first report starts the lesson; 100 % completes it, and with it the one-lesson course, which
        # issues its certificate (the learner is told when the worker has drawn it).
        events=lambda r: [
            ("initialized", "lesson", lesson["lesson_id"], learner),
            ("progressed", "lesson", lesson["lesson_id"], learner),
            ("completed", "lesson", lesson["lesson_id"], learner),
            ("completed", "course", course["course_id"], learner),
            ("earned", "certificate", certificate_of(w, course["course_id"])["certificate_id"], learner),
            # 10 + 50 + 500 XP: level 2, and the first-lesson and first-course badges (issue 15)
            ("earned", "level", "2", learner),
            ("earned", "badge", str(seeded_achievement_id("first-steps")), learner),
            ("earned", "badge", str(seeded_achievement_id("graduate")), learner),
        ],
        tables=frozenset({"lesson_progress", "enrollments", "certificates", *GAMIFICATION}),
        failure=Call("other_learner", "POST", path, json={"percent": 100}),
        failure_status=403,
    )


# ---- question bank and assessments (instructor X's course)


@scenario("POST", "/courses/{course_id}/questions")
def _create_question(w: World) -> Scenario:
    course, skill = w.course(), w.skill()
    path = f"/courses/{course['course_id']}/questions"
    body = {
        "question_type": "numeric",
        "skill_id": skill["skill_id"],
        "prompt": "2 + 2?",
        "numeric_answer": 4,
    }
    return Scenario(
        success=Call("instructor", "POST", path, json=body),
        events=lambda r: [("created", "question", r["question_id"], w.id("instructor"))],
        tables=frozenset({"questions"}),
        failure=Call("other_instructor", "POST", path, json=body),
        failure_status=403,
    )


@scenario("PATCH", "/questions/{question_id}")
def _update_question(w: World) -> Scenario:
    question = w.question(w.course(), w.skill())
    path = f"/questions/{question['question_id']}"
    return Scenario(
        success=Call(
            "instructor",
            "PATCH",
            path,
            json={"difficulty": 1.5},
            headers=if_match(etag_of(question, "question_id")),
        ),
        events=lambda r: [("updated", "question", question["question_id"], w.id("instructor"))],
        tables=frozenset({"questions"}),
        failure=Call("instructor", "PATCH", path, json={"difficulty": 1.5}, headers=if_match(STALE)),
        failure_status=412,
    )


@scenario("DELETE", "/questions/{question_id}")
def _delete_question(w: World) -> Scenario:
    question = w.question(w.course(), w.skill())
    path = f"/questions/{question['question_id']}"
    return Scenario(
        success=Call("instructor", "DELETE", path, headers=if_match(etag_of(question, "question_id"))),
        events=lambda r: [("deleted", "question", question["question_id"], w.id("instructor"))],
        tables=frozenset({"questions"}),
        failure=Call("instructor", "DELETE", path),
        failure_status=428,
    )


@scenario("POST", "/courses/{course_id}/assessments")
def _create_assessment(w: World) -> Scenario:
    course = w.course()
    question = w.question(course, w.skill())
    path = f"/courses/{course['course_id']}/assessments"
    body = {"title": "Quiz", "question_ids": [question["question_id"]]}
    return Scenario(
        success=Call("instructor", "POST", path, json=body),
        events=lambda r: [("created", "assessment", r["assessment_id"], w.id("instructor"))],
        tables=frozenset({"assessments", "assessment_questions"}),
        failure=Call("learner", "POST", path, json=body),
        failure_status=403,
    )


@scenario("PATCH", "/assessments/{assessment_id}")
def _update_assessment(w: World) -> Scenario:
    course = w.course()
    assessment = w.assessment(course, [w.question(course, w.skill())], status="draft")
    path, headers = (
        f"/assessments/{assessment['assessment_id']}",
        if_match(etag_of(assessment, "assessment_id")),
    )
    return Scenario(
        success=Call("instructor", "PATCH", path, json={"status": "published"}, headers=headers),
        events=lambda r: [("updated", "assessment", assessment["assessment_id"], w.id("instructor"))],
        tables=frozenset({"assessments"}),
        failure=Call("other_instructor", "PATCH", path, json={"status": "archived"}, headers=headers),
        failure_status=404,  # a draft is invisible to other instructors
    )


@scenario("DELETE", "/assessments/{assessment_id}")
def _delete_assessment(w: World) -> Scenario:
    course = w.course()
    assessment = w.assessment(course, [w.question(course, w.skill())])
    path = f"/assessments/{assessment['assessment_id']}"
    return Scenario(
        success=Call("instructor", "DELETE", path, headers=if_match(etag_of(assessment, "assessment_id"))),
        events=lambda r: [("deleted", "assessment", assessment["assessment_id"], w.id("instructor"))],
        tables=frozenset({"assessments", "assessment_questions"}),
        failure=Call(
            "other_instructor", "DELETE", path, headers=if_match(etag_of(assessment, "assessment_id"))
        ),
        failure_status=403,
    )


# ---- attempts (learner A, enrolled; learner B is not)


@scenario("POST", "/assessments/{assessment_id}/attempts")
def _start_attempt(w: World) -> Scenario:
    course = w.course()
    quiz = w.assessment(course, [w.question(course, w.skill())])
    w.enroll(course)
    path = f"/assessments/{quiz['assessment_id']}/attempts"
    return Scenario(
        success=Call("learner", "POST", path),
        events=lambda r: [("attempted", "assessment", quiz["assessment_id"], w.id("learner"))],
        # The learner's first activity of the day starts their streak.
        tables=frozenset({"assessment_attempts", "attempt_items", "learner_stats"}),
        failure=Call("other_learner", "POST", path),  # not enrolled
        failure_status=403,
    )


@scenario("PUT", "/attempts/{attempt_id}/answers/{question_id}")
def _answer(w: World) -> Scenario:
    course = w.course()
    question = w.question(course, w.skill())
    w.enroll(course)
    attempt = w.attempt(w.assessment(course, [question]))
    path = f"/attempts/{attempt['attempt_id']}/answers/{question['question_id']}"
    return Scenario(
        success=Call("learner", "PUT", path, json={"response": "b"}),
        events=lambda r: [("answered", "question", question["question_id"], w.id("learner"))],
        # The answer moves the learner's mastery and profile level (its event carries the change).
        tables=frozenset(
            {"attempt_items", "learner_skill_mastery", "learner_mastery_states", "learner_skill_levels"}
        ),
        failure=Call("other_learner", "PUT", path, json={"response": "a"}),
        failure_status=403,
    )


@scenario("POST", "/attempts/{attempt_id}/submit")
def _submit(w: World) -> Scenario:
    course = w.course()
    question = w.question(course, w.skill())
    diagnostic = w.assessment(course, [question], assessment_type="diagnostic", pass_threshold=0.5)
    attempt = w.attempt(diagnostic)
    path = f"/attempts/{attempt['attempt_id']}/submit"
    learner = w.id("learner")
    body = {"answers": [{"question_id": question["question_id"], "response": "b"}]}
    return Scenario(
        success=Call("learner", "POST", path, json=body),
        # The answer sent with the submission, the grade, and the diagnostic's level in the profile.
        events=lambda r: [
            ("answered", "question", question["question_id"], learner),
            ("passed", "assessment", diagnostic["assessment_id"], learner),
            ("updated", "profile", learner, learner),
            # 100 + 50 XP for a perfect pass: level 1 and the first-quiz and perfect-score badges (issue 15)
            ("earned", "level", "1", learner),
            ("earned", "badge", str(seeded_achievement_id("quiz-taker")), learner),
            ("earned", "badge", str(seeded_achievement_id("sharpshooter")), learner),
        ],
        tables=frozenset(
            {
                "assessment_attempts",
                "attempt_items",
                "attempt_skill_estimates",
                "learner_skill_levels",
                "learner_skill_mastery",
                "learner_mastery_states",
                *GAMIFICATION,
            }
        ),  # fmt: skip
        failure=Call("other_learner", "POST", path, json=body),
        failure_status=403,
    )


# ---- goals (learner A)


@scenario("POST", "/goals")
def _create_goal(w: World) -> Scenario:
    skill = w.skill()
    body = {
        "deadline": (datetime.now(UTC).date() + timedelta(days=90)).isoformat(),
        "hours_per_week": 4,
        "skills": [{"skill_id": skill["skill_id"], "target_level": 6}],
    }
    past = {**body, "deadline": (datetime.now(UTC).date() - timedelta(days=1)).isoformat()}
    return Scenario(
        success=Call("learner", "POST", "/goals", json=body),
        events=lambda r: [("created", "goal", r["goal_id"], w.id("learner"))],
        tables=frozenset({"learning_goals", "learning_goal_skills"}),
        failure=Call("learner", "POST", "/goals", json=past),
        failure_status=422,
    )


@scenario("PATCH", "/goals/{goal_id}")
def _update_goal(w: World) -> Scenario:
    goal = w.goal(w.skill())
    path = f"/goals/{goal['goal_id']}"
    return Scenario(
        success=Call("learner", "PATCH", path, json={"hours_per_week": 8}),
        events=lambda r: [("updated", "goal", goal["goal_id"], w.id("learner"))],
        tables=frozenset({"learning_goals"}),
        failure=Call("other_learner", "PATCH", path, json={"status": "abandoned"}),
        failure_status=403,
    )


@scenario("DELETE", "/goals/{goal_id}")
def _delete_goal(w: World) -> Scenario:
    goal = w.goal(w.skill())
    path = f"/goals/{goal['goal_id']}"
    return Scenario(
        success=Call("learner", "DELETE", path),
        events=lambda r: [("deleted", "goal", goal["goal_id"], w.id("learner"))],
        tables=frozenset({"learning_goals", "learning_goal_skills"}),
        failure=Call("other_learner", "DELETE", path),
        failure_status=403,
    )


@scenario("POST", "/goals/{goal_id}/path")
def _generate_path(w: World) -> Scenario:
    goal = w.goal(w.skill())
    path = f"/goals/{goal['goal_id']}/path"
    return Scenario(
        success=Call("learner", "POST", path),
        events=lambda r: [("created", "learning_path", r["snapshot_id"], w.id("learner"))],
        tables=frozenset({"learning_path_snapshots"}),
        failure=Call("other_learner", "POST", path),
        failure_status=403,
    )
