"""Scenarios of the discussion, review and report routes (issue 15 point 4).

Each builds, through the API, a course of instructor X's with two lessons where learners A and B are
enrolled, then the posts the route acts on.
"""

from __future__ import annotations

from typing import Any

from tests.app_api.event_scenarios import Call, Scenario, scenario
from tests.app_api.integration_world import World

LOG = "social_posting_log"


def _course(w: World) -> dict[str, Any]:
    course = w.course(lessons=2)
    w.enroll(course, "learner")
    w.enroll(course, "other_learner")
    return course


def _thread(w: World, course: dict[str, Any] | None = None, role: str = "learner") -> dict[str, Any]:
    course = course or _course(w)
    body = {"title": "Joins", "body": "How do outer joins work?"}
    return dict(w.ok(role, "POST", f"/courses/{course['course_id']}/threads", json=body))


def _comment(w: World, thread: dict[str, Any], role: str = "learner") -> dict[str, Any]:
    return dict(w.ok(role, "POST", f"/threads/{thread['thread_id']}/comments", json={"body": "Hi"}))


def _complete_first_lesson(w: World, course: dict[str, Any]) -> None:
    """A completes one of the two lessons: past the share of the course a review needs."""
    enrollment = w.enroll(course, "learner")
    lesson = w.lessons(course)[0]
    path = f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson['lesson_id']}/progress"
    w.ok("learner", "POST", path, json={"completed": True})


def _review(w: World) -> dict[str, Any]:
    course = _course(w)
    _complete_first_lesson(w, course)
    return dict(
        w.ok("learner", "POST", f"/courses/{course['course_id']}/reviews", json={"stars": 4, "body": "Ok"})
    )


@scenario("POST", "/courses/{course_id}/threads")
def _create_thread(w: World) -> Scenario:
    course = _course(w)
    path = f"/courses/{course['course_id']}/threads"
    return Scenario(
        success=Call("learner", "POST", path, json={"title": "Joins", "body": "<b>as given</b>"}),
        events=lambda r: [("posted", "discussion_thread", r["thread_id"], w.id("learner"))],
        tables=frozenset({"discussion_threads", LOG}),
        failure=Call(
            "other_instructor", "POST", path, json={"title": "Joins", "body": "b"}
        ),  # not a participant
        failure_status=403,
    )


@scenario("PATCH", "/threads/{thread_id}")
def _update_thread(w: World) -> Scenario:
    thread = _thread(w)
    path = f"/threads/{thread['thread_id']}"
    return Scenario(
        success=Call("learner", "PATCH", path, json={"title": "Outer joins"}),
        events=lambda r: [("updated", "discussion_thread", thread["thread_id"], w.id("learner"))],
        tables=frozenset({"discussion_threads"}),
        failure=Call("other_learner", "PATCH", path, json={"title": "Mine"}),
        failure_status=403,
    )


@scenario("DELETE", "/threads/{thread_id}")
def _delete_thread(w: World) -> Scenario:
    thread = _thread(w)
    path = f"/threads/{thread['thread_id']}"
    return Scenario(
        success=Call("learner", "DELETE", path),
        events=lambda r: [("deleted", "discussion_thread", thread["thread_id"], w.id("learner"))],
        tables=frozenset({"discussion_threads"}),
        failure=Call("other_learner", "DELETE", path),
        failure_status=403,
    )


@scenario("PATCH", "/threads/{thread_id}/moderation")
def _moderate_thread(w: World) -> Scenario:
    thread = _thread(w)
    path = f"/threads/{thread['thread_id']}/moderation"
    return Scenario(
        success=Call("instructor", "PATCH", path, json={"pinned": True, "locked": True}),
        events=lambda r: [("updated", "discussion_thread", thread["thread_id"], w.id("instructor"))],
        tables=frozenset({"discussion_threads"}),
        failure=Call("learner", "PATCH", path, json={"pinned": True}),
        failure_status=403,
    )


@scenario("PUT", "/threads/{thread_id}/visibility")
def _hide_thread(w: World) -> Scenario:
    thread = _thread(w)
    path = f"/threads/{thread['thread_id']}/visibility"
    return Scenario(
        success=Call("instructor", "PUT", path, json={"hidden": True}),
        events=lambda r: [("updated", "discussion_thread", thread["thread_id"], w.id("instructor"))],
        tables=frozenset({"discussion_threads"}),
        failure=Call("other_instructor", "PUT", path, json={"hidden": True}),
        failure_status=403,
    )


@scenario("POST", "/threads/{thread_id}/comments")
def _create_comment(w: World) -> Scenario:
    course = _course(w)
    thread, locked = _thread(w, course), _thread(w, course)
    w.ok("instructor", "PATCH", f"/threads/{locked['thread_id']}/moderation", json={"locked": True})
    return Scenario(
        success=Call(
            "other_learner", "POST", f"/threads/{thread['thread_id']}/comments", json={"body": "Yes"}
        ),
        events=lambda r: [("posted", "comment", r["comment_id"], w.id("other_learner"))],
        tables=frozenset({"discussion_comments", LOG}),
        failure=Call(
            "other_learner", "POST", f"/threads/{locked['thread_id']}/comments", json={"body": "Yes"}
        ),
        failure_status=409,
    )


@scenario("PATCH", "/comments/{comment_id}")
def _update_comment(w: World) -> Scenario:
    comment = _comment(w, _thread(w))
    path = f"/comments/{comment['comment_id']}"
    return Scenario(
        success=Call("learner", "PATCH", path, json={"body": "Edited"}),
        events=lambda r: [("updated", "comment", comment["comment_id"], w.id("learner"))],
        tables=frozenset({"discussion_comments"}),
        failure=Call("other_learner", "PATCH", path, json={"body": "Mine"}),
        failure_status=403,
    )


@scenario("DELETE", "/comments/{comment_id}")
def _delete_comment(w: World) -> Scenario:
    thread = _thread(w)
    comment = _comment(w, thread)
    w.ok("other_learner", "POST", f"/threads/{thread['thread_id']}/comments",
         json={"body": "Reply", "parent_comment_id": comment["comment_id"]})  # fmt: skip
    path = f"/comments/{comment['comment_id']}"
    return Scenario(
        success=Call("learner", "DELETE", path),  # it has a reply: a tombstone stays
        events=lambda r: [("deleted", "comment", comment["comment_id"], w.id("learner"))],
        tables=frozenset({"discussion_comments"}),
        failure=Call("other_learner", "DELETE", path),
        failure_status=403,
    )


@scenario("PUT", "/comments/{comment_id}/visibility")
def _hide_comment(w: World) -> Scenario:
    comment = _comment(w, _thread(w))
    w.ok("other_learner", "POST", "/reports",
         json={"post_type": "comment", "post_id": comment["comment_id"], "reason": "abuse"})  # fmt: skip
    path = f"/comments/{comment['comment_id']}/visibility"
    return Scenario(
        success=Call("admin", "PUT", path, json={"hidden": True}),  # and resolves B's report
        events=lambda r: [("updated", "comment", comment["comment_id"], w.id("admin"))],
        tables=frozenset({"discussion_comments", "post_reports"}),
        failure=Call("other_learner", "PUT", path, json={"hidden": True}),
        failure_status=403,
    )


@scenario("POST", "/courses/{course_id}/reviews")
def _create_review(w: World) -> Scenario:
    course = _course(w)
    _complete_first_lesson(w, course)
    path = f"/courses/{course['course_id']}/reviews"
    return Scenario(
        success=Call("learner", "POST", path, json={"stars": 5, "body": "Great"}),
        events=lambda r: [("posted", "review", r["review_id"], w.id("learner"))],
        tables=frozenset({"course_reviews", LOG}),
        failure=Call("other_learner", "POST", path, json={"stars": 5, "body": "Great"}),  # no progress yet
        failure_status=409,
    )


@scenario("PATCH", "/reviews/{review_id}")
def _update_review(w: World) -> Scenario:
    review = _review(w)
    path = f"/reviews/{review['review_id']}"
    return Scenario(
        success=Call("learner", "PATCH", path, json={"stars": 2}),
        events=lambda r: [("updated", "review", review["review_id"], w.id("learner"))],
        tables=frozenset({"course_reviews"}),
        failure=Call("other_learner", "PATCH", path, json={"stars": 1}),
        failure_status=403,
    )


@scenario("DELETE", "/reviews/{review_id}")
def _delete_review(w: World) -> Scenario:
    review = _review(w)
    path = f"/reviews/{review['review_id']}"
    return Scenario(
        success=Call("admin", "DELETE", path),
        events=lambda r: [("deleted", "review", review["review_id"], w.id("admin"))],
        tables=frozenset({"course_reviews"}),
        failure=Call("other_learner", "DELETE", path),
        failure_status=403,
    )


@scenario("PUT", "/reviews/{review_id}/visibility")
def _hide_review(w: World) -> Scenario:
    review = _review(w)
    path = f"/reviews/{review['review_id']}/visibility"
    return Scenario(
        success=Call("instructor", "PUT", path, json={"hidden": True}),
        events=lambda r: [("updated", "review", review["review_id"], w.id("instructor"))],
        tables=frozenset({"course_reviews"}),
        failure=Call("learner", "PUT", path, json={"hidden": True}),
        failure_status=403,
    )


@scenario("POST", "/reviews/{review_id}/response")
def _respond(w: World) -> Scenario:
    review = _review(w)
    path = f"/reviews/{review['review_id']}/response"
    return Scenario(
        success=Call("instructor", "POST", path, json={"body": "Thanks"}),
        events=lambda r: [("posted", "review_response", r["response_id"], w.id("instructor"))],
        tables=frozenset({"review_responses", LOG}),
        failure=Call("other_instructor", "POST", path, json={"body": "Thanks"}),
        failure_status=403,
    )


def _responded(w: World) -> tuple[str, str]:
    review = _review(w)
    path = f"/reviews/{review['review_id']}/response"
    return path, str(w.ok("instructor", "POST", path, json={"body": "Thanks"})["response_id"])


@scenario("PATCH", "/reviews/{review_id}/response")
def _update_response(w: World) -> Scenario:
    path, response_id = _responded(w)
    return Scenario(
        success=Call("instructor", "PATCH", path, json={"body": "Thank you"}),
        events=lambda r: [("updated", "review_response", response_id, w.id("instructor"))],
        tables=frozenset({"review_responses"}),
        failure=Call("learner", "PATCH", path, json={"body": "Mine"}),
        failure_status=403,
    )


@scenario("DELETE", "/reviews/{review_id}/response")
def _delete_response(w: World) -> Scenario:
    path, response_id = _responded(w)
    return Scenario(
        success=Call("instructor", "DELETE", path),
        events=lambda r: [("deleted", "review_response", response_id, w.id("instructor"))],
        tables=frozenset({"review_responses"}),
        failure=Call("admin", "DELETE", path),
        failure_status=403,
    )


@scenario("POST", "/reports")
def _report(w: World) -> Scenario:
    comment = _comment(w, _thread(w))
    body = {"post_type": "comment", "post_id": comment["comment_id"], "reason": "spam"}
    return Scenario(
        success=Call("other_learner", "POST", "/reports", json=body),
        events=lambda r: [("created", "report", r["report_id"], w.id("other_learner"))],
        tables=frozenset({"post_reports", LOG}),
        failure=Call("other_instructor", "POST", "/reports", json=body),  # not a participant
        failure_status=403,
    )
