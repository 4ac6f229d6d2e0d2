"""Issue 15 points 4 and 6: course reviews after a share of the course, instructor responses, ratings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app_api.social.helpers import Social

REVIEW = {"stars": 4, "body": "Clear and practical."}


@pytest.fixture
def s(client: TestClient, session: Session) -> Social:
    return Social(client, session)


def test_reviews_need_an_enrollment_and_a_quarter_of_the_course(s: Social) -> None:
    path = f"/courses/{s.course_id}/reviews"
    stranger = s.w.call("admin", "POST", path, json=REVIEW)
    assert stranger.status_code == 403
    assert stranger.headers["content-type"].startswith("application/problem+json")
    assert stranger.json()["reason"] == "not_enrolled"
    early = s.w.call("learner", "POST", path, json=REVIEW)
    assert early.status_code == 409
    assert (early.json()["reason"], early.json()["required_share"], early.json()["completed_share"]) == (
        "not_enough_progress", 0.25, 0.0,
    )  # fmt: skip
    assert "0 of 4" in early.json()["detail"]

    s.complete_lessons("learner", 1)  # 1 of 4: exactly the required quarter
    review = s.w.ok("learner", "POST", path, json=REVIEW)
    assert (review["stars"], review["body"], review["author_id"], review["response"]) == (
        4, REVIEW["body"], s.w.id("learner"), None,
    )  # fmt: skip
    again = s.w.call("learner", "POST", path, json={"stars": 1, "body": "again"})
    assert again.status_code == 409
    assert (again.json()["reason"], again.json()["review_id"]) == ("already_reviewed", review["review_id"])
    # A course the learner left: no longer enrolled, no review.
    unknown = s.w.course(lessons=1)
    assert (
        s.w.call("learner", "POST", f"/courses/{unknown['course_id']}/reviews", json=REVIEW).status_code
        == 403
    )


def test_authors_edit_and_delete_their_reviews_and_the_rating_follows(s: Social) -> None:
    s.complete_lessons("learner", 2)
    s.complete_lessons("other_learner", 4)
    mine = s.w.ok("learner", "POST", f"/courses/{s.course_id}/reviews", json=REVIEW)
    theirs = s.w.ok(
        "other_learner", "POST", f"/courses/{s.course_id}/reviews", json={"stars": 1, "body": "Meh"}
    )
    rating = s.w.ok("anonymous", "GET", f"/courses/{s.course_id}/rating")
    assert (rating["review_count"], rating["average_stars"]) == (2, 2.5)
    assert rating["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0}

    path = f"/reviews/{mine['review_id']}"
    assert s.w.call("other_learner", "PATCH", path, json={"stars": 1}).status_code == 403
    edited = s.w.ok("learner", "PATCH", path, json={"stars": 5})
    assert (edited["stars"], edited["body"]) == (5, REVIEW["body"]) and edited["edited_at"] is not None
    assert s.w.ok("anonymous", "GET", f"/courses/{s.course_id}/rating")["average_stars"] == 3.0
    listed = s.w.ok("anonymous", "GET", f"/courses/{s.course_id}/reviews")["items"]
    assert [r["review_id"] for r in listed] == [theirs["review_id"], mine["review_id"]]  # newest first

    # Hidden reviews leave the rating and the list for everyone but their author and the moderators.
    s.w.ok("instructor", "PUT", f"/reviews/{theirs['review_id']}/visibility", json={"hidden": True})
    assert s.w.ok("anonymous", "GET", f"/courses/{s.course_id}/rating")["review_count"] == 1
    assert [r["review_id"] for r in s.w.ok("learner", "GET", f"/courses/{s.course_id}/reviews")["items"]] == [
        mine["review_id"]
    ]
    assert len(s.w.ok("other_learner", "GET", f"/courses/{s.course_id}/reviews")["items"]) == 2
    assert s.w.call("anonymous", "GET", f"/reviews/{theirs['review_id']}").status_code == 404

    assert s.w.call("other_learner", "DELETE", path).status_code == 403
    assert s.w.call("learner", "DELETE", path).status_code == 204
    assert s.w.call("learner", "GET", path).status_code == 404
    assert s.events("review", mine["review_id"]) == [
        ("posted", s.w.id("learner")),
        ("updated", s.w.id("learner")),
        ("deleted", s.w.id("learner")),
    ]


def test_the_course_instructor_responds_once(s: Social) -> None:
    s.complete_lessons("learner", 1)
    review = s.w.ok("learner", "POST", f"/courses/{s.course_id}/reviews", json=REVIEW)
    path = f"/reviews/{review['review_id']}/response"
    for role in ("learner", "other_instructor", "admin"):
        assert s.w.call(role, "POST", path, json={"body": "Thanks"}).status_code == 403, role
    response = s.w.ok("instructor", "POST", path, json={"body": "Thanks!"})
    assert (response["author_id"], response["body"]) == (s.w.id("instructor"), "Thanks!")
    second = s.w.call("instructor", "POST", path, json={"body": "Again"})
    assert (second.status_code, second.json()["reason"]) == (409, "already_responded")
    assert s.w.ok("anonymous", "GET", f"/reviews/{review['review_id']}")["response"]["body"] == "Thanks!"
    assert s.w.ok("instructor", "PATCH", path, json={"body": "Thank you"})["body"] == "Thank you"
    assert s.w.call("instructor", "DELETE", path).status_code == 204
    assert s.w.ok("anonymous", "GET", f"/reviews/{review['review_id']}")["response"] is None
    assert s.w.call("instructor", "DELETE", path).status_code == 404
    assert [verb for verb, _ in s.events("review_response", response["response_id"])] == [
        "posted",
        "updated",
        "deleted",
    ]


def test_reports_reach_the_moderators_and_hiding_resolves_them(s: Social) -> None:
    thread = s.thread("learner")
    comment = s.comment(thread, "learner", body="spam spam")
    body = {"post_type": "comment", "post_id": comment["comment_id"], "reason": "spam", "details": "ads"}
    report = s.w.ok("other_learner", "POST", "/reports", json=body)
    assert (report["course_id"], report["reason"], report["resolved_at"]) == (s.course_id, "spam", None)
    assert s.w.call("other_learner", "POST", "/reports", json=body).status_code == 409
    assert s.w.call("other_instructor", "POST", "/reports", json=body).status_code == 403
    unknown = s.w.call("other_learner", "POST", "/reports", json={**body, "post_id": thread["course_id"]})
    assert unknown.status_code == 422
    reports = f"/courses/{s.course_id}/reports"
    assert s.w.call("learner", "GET", reports).status_code == 403
    assert [r["report_id"] for r in s.w.ok("instructor", "GET", reports)["items"]] == [report["report_id"]]

    hidden = s.w.ok(
        "instructor", "PUT", f"/comments/{comment['comment_id']}/visibility", json={"hidden": True}
    )
    assert (hidden["hidden"], hidden["resolved_reports"]) == (True, 1)
    assert s.w.ok("instructor", "GET", reports)["items"] == []
    resolved = s.w.ok("admin", "GET", reports, params={"status": "resolved"})["items"]
    assert resolved[0]["resolved_at"] is not None
    assert s.events("report", report["report_id"]) == [("created", s.w.id("other_learner"))]
    assert s.events("comment", comment["comment_id"])[-1] == ("updated", s.w.id("instructor"))
