"""Authoring a course's question bank and assessments: ownership, answer keys, ETags, events."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.assessments.helpers import (
    API,
    World,
    events,
    make_course,
    multiple_choice,
    numeric,
    short_text,
    single_choice,
)


def test_each_question_type_is_stored_with_its_answer_key_for_authors(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    created = [
        w.question(body)
        for body in (
            single_choice(w.sql.skill_id),
            multiple_choice(w.sql.skill_id),
            numeric(w.stats.skill_id),
            short_text(w.stats.skill_id),
        )
    ]
    single, multiple, number, text_question = created
    assert [o["correct"] for o in single["options"]] == [False, True, False]
    assert [o["id"] for o in multiple["options"] if o["correct"]] == ["sum", "avg"]
    assert (number["numeric_answer"], number["tolerance"], number["options"]) == (3.0666, 0.01, [])
    assert text_question["accepted_answers"] == ["Standard deviation", "std dev"]
    assert (single["difficulty"], single["discrimination"], single["version"]) == (0.0, 1.0, 1)

    listed = client.get(f"{API}/courses/{w.course.course_id}/questions", headers=w.headers(w.owner)).json()
    assert {q["question_id"] for q in listed["items"]} == {q["question_id"] for q in created}
    only_stats = client.get(
        f"{API}/courses/{w.course.course_id}/questions",
        params={"skill_id": str(w.stats.skill_id), "limit": 1},
        headers=w.headers(w.admin),
    ).json()
    assert len(only_stats["items"]) == 1 and only_stats["next_cursor"]
    second = client.get(
        f"{API}/courses/{w.course.course_id}/questions",
        params={"skill_id": str(w.stats.skill_id), "limit": 1, "cursor": only_stats["next_cursor"]},
        headers=w.headers(w.admin),
    ).json()
    assert {only_stats["items"][0]["question_type"], second["items"][0]["question_type"]} == {
        "numeric",
        "short_text",
    }
    assert second["next_cursor"] is None

    created_events = events(session, verb="created", object_type="question")
    assert [(e["object_id"], e["actor_id"], e["course_id"]) for e in created_events] == [
        (q["question_id"], w.owner.user_id, w.course.course_id) for q in created
    ]


def test_invalid_questions_are_422_with_the_field_named(client: TestClient, session: Session) -> None:
    w = World(client, session)
    url, headers = f"{API}/courses/{w.course.course_id}/questions", w.headers(w.owner)
    two_correct = single_choice(w.sql.skill_id)
    two_correct["options"][0]["correct"] = True
    response = client.post(url, json=two_correct, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "exactly one option" in response.text

    no_answer = numeric(w.sql.skill_id) | {"tolerance": -1}
    assert (
        client.post(url, json=no_answer, headers=headers).json()["errors"][0]["field"].endswith("tolerance")
    )
    unknown_skill = single_choice(w.sql.skill_id) | {"skill_id": "00000000-0000-0000-0000-000000000000"}
    response = client.post(url, json=unknown_skill, headers=headers)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "body.skill_id")
    assert (
        client.post(url, json=single_choice(w.sql.skill_id) | {"difficulty": 7}, headers=headers).status_code
        == 422
    )
    assert events(session, verb="created", object_type="question") == []


def test_only_the_course_instructor_and_admins_author(client: TestClient, session: Session) -> None:
    w = World(client, session)
    url = f"{API}/courses/{w.course.course_id}/questions"
    body = single_choice(w.sql.skill_id)
    assert client.post(url, json=body, headers=w.headers(w.other_instructor)).status_code == 403
    assert client.post(url, json=body, headers=w.headers(w.learner)).status_code == 403
    assert client.post(url, json=body).status_code == 401
    assert client.get(url, headers=w.headers(w.other_instructor)).status_code == 403
    assert client.get(url, headers=w.headers(w.learner)).status_code == 403
    assert client.post(url, json=body, headers=w.headers(w.admin)).status_code == 201

    question = w.question()
    for who in (w.other_instructor, w.learner):
        assert (
            client.get(f"{API}/questions/{question['question_id']}", headers=w.headers(who)).status_code
            == 403
        )
        patched = client.patch(
            f"{API}/questions/{question['question_id']}",
            json={"prompt": "hijacked"},
            headers=w.headers(who) | {"If-Match": f'"{question["question_id"]}.1"'},
        )
        assert patched.status_code == 403
    assessment_url = f"{API}/courses/{w.course.course_id}/assessments"
    assert (
        client.post(assessment_url, json={"title": "x"}, headers=w.headers(w.other_instructor)).status_code
        == 403
    )
    imported = make_course(session, instructor=None)
    assert (
        client.post(
            f"{API}/courses/{imported.course_id}/questions", json=body, headers=w.headers(w.owner)
        ).status_code
        == 403
    )
    assert len(events(session, verb="created", object_type="question")) == 2


def test_edits_need_the_current_etag_and_bump_the_version(client: TestClient, session: Session) -> None:
    w = World(client, session)
    question = w.question()
    url = f"{API}/questions/{question['question_id']}"
    read = client.get(url, headers=w.headers(w.owner))
    etag = read.headers["etag"]
    assert etag == f'"{question["question_id"]}.1"'

    missing = client.patch(url, json={"prompt": "New prompt"}, headers=w.headers(w.owner))
    assert (missing.status_code, missing.json()["current_etag"]) == (428, etag)
    new_key = {"options": [{"id": "x", "text": "GROUP BY"}, {"id": "y", "text": "HAVING", "correct": True}]}
    edited = client.patch(
        url,
        json={"prompt": "New prompt", "difficulty": 1.5, **new_key},
        headers=w.headers(w.owner) | {"If-Match": etag},
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["version"], edited.json()["prompt"], edited.json()["difficulty"]) == (
        2,
        "New prompt",
        1.5,
    )
    assert [o["id"] for o in edited.json()["options"] if o["correct"]] == ["y"]
    assert edited.headers["etag"] == f'"{question["question_id"]}.2"'

    stale = client.patch(url, json={"prompt": "Lost update"}, headers=w.headers(w.admin) | {"If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url, headers=w.headers(w.owner)).json()["prompt"] == "New prompt"
    wrong_field = client.patch(
        url, json={"numeric_answer": 3}, headers=w.headers(w.owner) | {"If-Match": edited.headers["etag"]}
    )
    assert wrong_field.status_code == 422
    same = client.patch(
        url, json={"prompt": "New prompt"}, headers=w.headers(w.owner) | {"If-Match": edited.headers["etag"]}
    )
    assert (same.status_code, same.json()["version"]) == (200, 2)  # nothing changed: no new version
    updated = events(session, verb="updated", object_type="question")
    assert [(e["actor_id"], e["extensions"]) for e in updated] == [
        (w.owner.user_id, {"fields": ["difficulty", "options", "prompt"], "version": 2})
    ]


def test_assessments_hide_drafts_from_learners_and_keep_question_order(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    first, second = w.question(), w.question(prompt="Second?")
    draft = w.assessment([second["question_id"], first["question_id"]], status="draft", title="Draft")
    published = w.assessment([first["question_id"]], title="Live", time_limit_s=600, max_attempts=2)
    assert draft["question_ids"] == [second["question_id"], first["question_id"]]
    assert (published["question_count"], published["time_limit_s"], published["max_attempts"]) == (1, 600, 2)

    as_learner = client.get(
        f"{API}/courses/{w.course.course_id}/assessments", headers=w.headers(w.learner)
    ).json()
    assert [a["title"] for a in as_learner["items"]] == ["Live"]
    assert "question_ids" not in as_learner["items"][0]
    as_owner = client.get(
        f"{API}/courses/{w.course.course_id}/assessments", headers=w.headers(w.owner)
    ).json()
    assert [a["title"] for a in as_owner["items"]] == ["Draft", "Live"]
    assert (
        client.get(f"{API}/assessments/{draft['assessment_id']}", headers=w.headers(w.learner)).status_code
        == 404
    )
    ordered = client.get(
        f"{API}/assessments/{draft['assessment_id']}/questions", headers=w.headers(w.owner)
    ).json()
    assert [q["prompt"] for q in ordered] == ["Second?", "Which clause filters groups?"]
    assert (
        client.get(
            f"{API}/assessments/{published['assessment_id']}/questions", headers=w.headers(w.learner)
        ).status_code
        == 403
    )

    other = make_course(session, instructor=w.other_instructor)
    foreign = client.post(
        f"{API}/courses/{other.course_id}/questions",
        json=single_choice(w.sql.skill_id),
        headers=w.headers(w.other_instructor),
    ).json()
    response = client.patch(
        f"{API}/assessments/{draft['assessment_id']}",
        json={"question_ids": [foreign["question_id"]]},
        headers=w.headers(w.owner) | {"If-Match": f'"{draft["assessment_id"]}.1"'},
    )
    assert response.status_code == 422 and foreign["question_id"] in response.text
    publish = client.patch(
        f"{API}/assessments/{draft['assessment_id']}",
        json={"status": "published", "time_limit_s": None},
        headers=w.headers(w.owner) | {"If-Match": f'"{draft["assessment_id"]}.1"'},
    )
    assert (publish.json()["status"], publish.json()["version"]) == ("published", 2)
    nulled = client.patch(
        f"{API}/assessments/{draft['assessment_id']}",
        json={"title": None},
        headers=w.headers(w.owner) | {"If-Match": publish.headers["etag"]},
    )
    assert nulled.status_code == 422
    assert [e["verb"] for e in events(session, object_type="assessment")] == ["created", "created", "updated"]


def test_answered_questions_and_attempted_assessments_cannot_be_deleted(
    client: TestClient, session: Session
) -> None:
    w = World(client, session)
    spare, used = w.question(), w.question()
    assessment = w.assessment([used["question_id"], spare["question_id"]])
    attempt = client.post(
        f"{API}/assessments/{assessment['assessment_id']}/attempts", headers=w.headers(w.learner)
    ).json()
    client.put(
        f"{API}/attempts/{attempt['attempt_id']}/answers/{used['question_id']}",
        json={"response": "b"},
        headers=w.headers(w.learner),
    )

    def delete(url: str, item_id: str) -> int:
        return client.delete(url, headers=w.headers(w.owner) | {"If-Match": f'"{item_id}.1"'}).status_code

    assert delete(f"{API}/questions/{used['question_id']}", used["question_id"]) == 409
    assert delete(f"{API}/assessments/{assessment['assessment_id']}", assessment["assessment_id"]) == 409
    fresh = w.question()
    assert delete(f"{API}/questions/{fresh['question_id']}", fresh["question_id"]) == 204
    assert (
        client.get(f"{API}/questions/{fresh['question_id']}", headers=w.headers(w.owner)).status_code == 404
    )
    assert [e["object_id"] for e in events(session, verb="deleted")] == [fresh["question_id"]]
    remaining = session.execute(
        text("select count(*) from questions where course_id = :c"), {"c": w.course.course_id}
    ).scalar_one()
    assert remaining == 2
