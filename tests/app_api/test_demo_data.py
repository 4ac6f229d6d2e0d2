"""The demo seed: idempotent, its accounts log in through the API, and its learner can take the quizzes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app_api.assessments.models import Assessment, AssessmentQuestion, Question
from app_api.courses.models import Course, CoursePrerequisite, CourseSkill, Lesson, Module, Skill
from app_api.demo import DEMO_PASSWORDS, DemoAccounts, seed_demo
from app_api.demo_content import CAPSTONE_COURSE, SQL_COURSE, SQL_QUESTIONS, STATS_COURSE, STATS_QUESTIONS
from tests.app_api.auth.helpers import cheap_argon2

__all__ = ["cheap_argon2"]
API = "/api/v1"


def _seed(client: TestClient, session: Session) -> DemoAccounts:
    return seed_demo(session, settings=client.app.state.settings)  # type: ignore[attr-defined]


def _counts(session: Session) -> dict[str, int]:
    tables = ("users", "courses", "lessons", "questions", "assessments", "enrollments", "learner_events")
    return {table: session.scalar(text(f"select count(*) from {table}")) or 0 for table in tables}


def _login(client: TestClient, email: str, password: str) -> dict[str, Any]:
    response = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_seed_is_idempotent(client: TestClient, session: Session) -> None:
    first = _seed(client, session)
    after_first = _counts(session)
    second = _seed(client, session)

    assert first.created and not second.created
    assert _counts(session) == after_first, "a second seed must write nothing"
    assert second == DemoAccounts(**{**first.__dict__, "created": False})
    assert {account.role for account in first.all()} == {"learner", "instructor", "admin"}
    # Every step went through the services, so the seed's rows came with their events.
    events = dict(
        session.execute(
            text(
                "select verb || ' ' || object_type, count(*) from learner_events where actor_id = any(:ids) "
                "group by 1"
            ),
            {"ids": [account.user_id for account in first.all()]},
        ).all()
    )
    assert events["registered account"] == 3
    assert events["created course"] == 3
    assert events["created lesson"] == 9
    assert events["created question"] == 24  # 6 + 6 for the quizzes, 12 for the diagnostic's bank
    assert events["created assessment"] == 3
    assert events["registered course"] == 2
    assert events["completed lesson"] == 1 + 3  # one SQL lesson, the three statistics ones
    assert events["completed course"] == 1
    assert events["earned certificate"] == 1


def test_catalogue_is_published_and_complete(client: TestClient, session: Session) -> None:
    demo = _seed(client, session)
    courses = {
        course.title: course
        for course in session.scalars(select(Course).where(Course.instructor_id == demo.instructor.user_id))
    }
    assert set(courses) == {SQL_COURSE, STATS_COURSE, CAPSTONE_COURSE}
    assert {course.status for course in courses.values()} == {"published"}
    assert {course.level for course in courses.values()} == {"beginner", "intermediate", "advanced"}
    capstone = courses[CAPSTONE_COURSE].course_id
    required = set(
        session.scalars(
            select(CoursePrerequisite.prerequisite_course_id).where(CoursePrerequisite.course_id == capstone)
        )
    )
    assert required == {courses[SQL_COURSE].course_id, courses[STATS_COURSE].course_id}
    tags = set(
        session.scalars(
            select(Skill.slug)
            .join(CourseSkill, CourseSkill.skill_id == Skill.skill_id)
            .where(CourseSkill.course_id == capstone)
        )
    )
    assert tags == {"sql", "statistics"}
    modules = session.scalar(
        select(func.count()).select_from(Module).where(Module.course_id.in_(demo.course_ids.values()))
    )
    lessons = session.scalar(
        select(func.count()).select_from(Lesson).where(Lesson.course_id.in_(demo.course_ids.values()))
    )
    assert (modules, lessons) == (5, 9)
    for course_id in (courses[SQL_COURSE].course_id, courses[STATS_COURSE].course_id):
        types = set(session.scalars(select(Question.question_type).where(Question.course_id == course_id)))
        assert types == {"single_choice", "multiple_choice", "numeric", "short_text"}
    quiz_types = set(
        session.scalars(
            select(Question.question_type)
            .join(AssessmentQuestion, AssessmentQuestion.question_id == Question.question_id)
            .where(AssessmentQuestion.assessment_id == demo.quiz_ids[SQL_COURSE])
        )
    )
    assert quiz_types == {"single_choice", "multiple_choice", "numeric", "short_text"}
    diagnostic = session.get_one(Assessment, demo.diagnostic_id)
    assert (diagnostic.assessment_type, diagnostic.selection, diagnostic.status) == (
        "diagnostic",
        "adaptive",
        "published",
    )


def test_the_three_accounts_log_in_with_the_printed_passwords(client: TestClient, session: Session) -> None:
    demo = _seed(client, session)
    for account in demo.all():
        assert (account.email, account.password) == DEMO_PASSWORDS[account.role][:2]
        token = _login(client, account.email, account.password)
        assert (token["role"], token["user_id"]) == (account.role, str(account.user_id))
        me = client.get(f"{API}/me", headers=_bearer(token)).json()
        assert (me["email"], me["role"]) == (account.email, account.role)
    wrong = client.post(f"{API}/auth/login", json={"email": demo.admin.email, "password": "not the password"})
    assert wrong.status_code == 401


def test_learner_has_progress_and_misses_the_capstone_prerequisites(
    client: TestClient, session: Session
) -> None:
    demo = _seed(client, session)
    headers = _bearer(_login(client, demo.learner.email, demo.learner.password))
    progress = client.get(f"{API}/enrollments/{demo.enrollment_id}/progress", headers=headers).json()
    assert (progress["course_title"], progress["status"]) == (SQL_COURSE, "active")
    assert (progress["lessons_total"], progress["lessons_completed"]) == (4, 1)
    assert progress["percent"] == (100 + 40) / 4
    assert progress["time_spent_s"] == 840 + 300
    refused = client.post(f"{API}/courses/{demo.course_ids[CAPSTONE_COURSE]}/enrollments", headers=headers)
    assert refused.status_code == 409
    missing = {item["title"] for item in refused.json()["missing_prerequisites"]}
    assert missing == {SQL_COURSE}  # the statistics course is completed


SPECS = {spec["prompt"]: spec for spec in SQL_QUESTIONS + STATS_QUESTIONS}


def _correct_response(prompt: str) -> Any:
    spec = SPECS[prompt]
    if spec["question_type"] == "single_choice":
        return next(option["id"] for option in spec["options"] if option["correct"])
    if spec["question_type"] == "multiple_choice":
        return [option["id"] for option in spec["options"] if option["correct"]]
    if spec["question_type"] == "numeric":
        return spec["numeric_answer"]
    return spec["accepted_answers"][0].upper()  # graded case-insensitively


def test_learner_takes_the_sql_quiz_and_passes(client: TestClient, session: Session) -> None:
    demo = _seed(client, session)
    headers = _bearer(_login(client, demo.learner.email, demo.learner.password))
    quiz = client.get(f"{API}/assessments/{demo.quiz_ids[SQL_COURSE]}", headers=headers).json()
    assert (quiz["question_count"], quiz["pass_threshold"], quiz["max_attempts"]) == (4, 0.6, 3)
    attempt = client.post(f"{API}/assessments/{quiz['assessment_id']}/attempts", headers=headers)
    assert attempt.status_code == 201, attempt.text
    served = attempt.json()["questions"]
    # Three right, the short-text one wrong: 0.75 passes the 0.6 threshold.
    answers = [
        {
            "question_id": question["question_id"],
            "response": "no idea"
            if question["question_type"] == "short_text"
            else _correct_response(question["prompt"]),
        }
        for question in served
    ]
    graded = client.post(
        f"{API}/attempts/{attempt.json()['attempt_id']}/submit", json={"answers": answers}, headers=headers
    )
    assert graded.status_code == 200, graded.text
    result = graded.json()["result"]
    assert (result["correct"], result["total"], result["score_scaled"], result["success"]) == (
        3,
        4,
        0.75,
        True,
    )
    verbs = (
        session.execute(
            text("select verb from learner_events where actor_id = :actor and object_id = :quiz"),
            {"actor": demo.learner.user_id, "quiz": str(quiz["assessment_id"])},
        )
        .scalars()
        .all()
    )
    assert sorted(verbs) == ["attempted", "passed"]


def test_learner_takes_the_diagnostic_and_gets_levels(client: TestClient, session: Session) -> None:
    demo = _seed(client, session)
    headers = _bearer(_login(client, demo.learner.email, demo.learner.password))
    attempt = client.post(f"{API}/assessments/{demo.diagnostic_id}/attempts", headers=headers).json()
    answered = 0
    while attempt["next_question_id"] is not None:
        question_id = attempt["next_question_id"]
        prompt = next(q["prompt"] for q in attempt["questions"] if q["question_id"] == question_id)
        saved = client.put(
            f"{API}/attempts/{attempt['attempt_id']}/answers/{question_id}",
            json={"response": _correct_response(prompt)},
            headers=headers,
        )
        assert saved.status_code == 200, saved.text
        attempt = saved.json()
        answered += 1
    assert 1 <= answered <= 8  # the diagnostic's question cap
    graded = client.post(f"{API}/attempts/{attempt['attempt_id']}/submit", headers=headers).json()
    estimates = {estimate["skill_id"]: estimate for estimate in graded["result"]["skill_estimates"]}
    profile = client.get(f"{API}/learners/{demo.learner.user_id}/profile", headers=headers).json()
    levels = {level["skill_id"]: level for level in profile["skill_levels"]}
    assert estimates and set(estimates) <= set(levels)
    for skill_id, estimate in estimates.items():
        # Every answer right: the estimate sits above the middle of the 1-10 scale.
        assert estimate["level"] > 5.5
        assert levels[skill_id]["source"] == "diagnostic"
        assert levels[skill_id]["level"] == round(estimate["level"], 2)


def test_seed_reuses_skills_the_history_already_has(client: TestClient, session: Session) -> None:
    """The generated history or an import may already hold a skill with a demo slug: it is tagged, not
    duplicated (the slug is unique)."""
    existing = Skill(slug="sql", name="SQL (imported)")
    session.add(existing)
    session.flush()
    demo = _seed(client, session)
    assert session.scalar(select(func.count()).select_from(Skill).where(Skill.slug == "sql")) == 1
    tagged = session.scalar(
        select(CourseSkill.skill_id).where(CourseSkill.course_id == demo.course_ids[SQL_COURSE])
    )
    assert tagged == existing.skill_id
    created = session.scalars(
        text(
            "select extensions->>'slug' from learner_events "
            "where verb = 'created' and object_type = 'skill' and actor_id = :admin"
        ),
        {"admin": demo.admin.user_id},
    ).all()
    assert sorted(created) == ["data-analysis", "statistics"]


def test_learner_has_a_goal_with_a_path_and_a_next_step(client: TestClient, session: Session) -> None:
    demo = _seed(client, session)
    headers = _bearer(_login(client, demo.learner.email, demo.learner.password))
    path = client.get(f"{API}/goals/{demo.goal_id}/path", headers=headers).json()
    assert [step["title"] for step in path["steps"]] == [SQL_COURSE, STATS_COURSE, CAPSTONE_COURSE]
    assert path["steps"][0]["reasons"] == [
        "closes your gap in SQL: level 1 → 4",
        f"prerequisite of {CAPSTONE_COURSE}",
        "15 minutes of it already done",  # the first lesson, completed by the seed
    ]
    assert path["steps"][2]["reasons"] == [
        "closes your gap in SQL: level 7 → 9",
        "closes your gap in Statistics: level 7 → 8",
    ]
    assert (path["total_minutes"], path["feasible"], len(path["timeline"])) == (55 + 65 + 60, True, 1)
    step = client.get(f"{API}/enrollments/{demo.enrollment_id}/next", headers=headers).json()
    assert (step["kind"], step["title"]) == ("lesson", "Sorting and limiting")
    assert _seed(client, session).goal_id == demo.goal_id  # found again, not re-created


def test_the_sql_course_has_a_discussion_and_reviews(client: TestClient, session: Session) -> None:
    """Issue 15: the demo course has a discussion (a pinned thread with nested replies) and reviews."""
    demo = _seed(client, session)
    headers = _bearer(_login(client, demo.learner.email, demo.learner.password))
    course_id = demo.course_ids[SQL_COURSE]
    (thread,) = client.get(f"{API}/courses/{course_id}/threads", headers=headers).json()["items"]
    assert (thread["author_id"], thread["pinned"], thread["comment_count"]) == (
        str(demo.learner.user_id),
        True,
        4,
    )
    tree = client.get(f"{API}/threads/{thread['thread_id']}/comments", headers=headers).json()["items"]
    assert [node["author_name"] for node in tree] == ["Carl Classmate", "Ivan Instructor"]
    reply = tree[0]["replies"][0]
    assert (reply["author_id"], reply["depth"]) == (str(demo.learner.user_id), 1)
    assert reply["replies"][0]["author_name"] == "Dana Classmate"

    reviews = client.get(f"{API}/courses/{course_id}/reviews").json()["items"]
    assert sorted(review["stars"] for review in reviews) == [4, 5]
    assert [review["response"] is not None for review in reviews] == [True, False]  # Dana's, newest, answered
    rating = client.get(f"{API}/courses/{course_id}/rating").json()
    assert (rating["review_count"], rating["average_stars"]) == (2, 4.5)
    # The learner has done a quarter of the course: their own review is theirs to write.
    mine = client.post(
        f"{API}/courses/{course_id}/reviews", json={"stars": 5, "body": "Great"}, headers=headers
    )
    assert mine.status_code == 201, mine.text


def test_learner_has_a_certificate_that_verifies_and_downloads(client: TestClient, session: Session) -> None:
    demo = _seed(client, session)
    assert demo.certificate_code is not None
    verified = client.get(f"{API}/certificates/verify/{demo.certificate_code}")
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert (body["status"], body["course_title"], body["learner_name"]) == (
        "valid",
        STATS_COURSE,
        DEMO_PASSWORDS["learner"][2],
    )
    assert body["instructor_name"] == DEMO_PASSWORDS["instructor"][2]
    headers = _bearer(_login(client, demo.learner.email, demo.learner.password))
    (certificate,) = client.get(f"{API}/me/certificates", headers=headers).json()["items"]
    assert certificate["rendered"] is True, "the seed draws the demo's certificate"
    pdf = client.get(f"{API}/certificates/{certificate['certificate_id']}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = client.get(f"/app/verify/{demo.certificate_code}")
    assert 'data-status="valid"' in page.text and STATS_COURSE in page.text
    assert _seed(client, session).certificate_code == demo.certificate_code  # found again


def test_the_demo_learner_has_xp_a_level_a_streak_and_a_badge(client: TestClient, session: Session) -> None:
    """Issue 15: the demo's own activity earned what a learner's would: the first lesson ever (10), four
    lessons (4 × 50) and the Statistics course completed (500) make 710 XP, level floor(sqrt(7.1)) = 2."""
    demo = _seed(client, session)
    token = _login(client, demo.learner.email, demo.learner.password)
    me = client.get(f"{API}/gamification/me", headers=_bearer(token)).json()
    assert (me["xp"], me["level"], me["next_level_xp"], me["current_streak"], me["badges"]) == (
        710,
        2,
        900,
        1,
        2,
    )
    badges = client.get(f"{API}/gamification/me/badges", headers=_bearer(token)).json()["items"]
    assert sorted(badge["slug"] for badge in badges) == ["first-steps", "graduate"]
