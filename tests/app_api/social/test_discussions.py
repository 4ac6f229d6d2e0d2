"""Issue 15 point 4: course and lesson threads, nested comments read as trees, edits, deletes, pins, locks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment
from sqlalchemy.orm import Session

from tests.app_api.social.helpers import Social


@pytest.fixture
def s(client: TestClient, session: Session) -> Social:
    return Social(client, session)


def _ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["comment_id"] for node in nodes]


def test_participants_post_and_read_threads_pinned_first(s: Social) -> None:
    first = s.thread("learner", title="First")
    lesson = s.w.lessons(s.course)[1]
    about_lesson = s.thread("other_learner", title="About lesson 2", lesson_id=lesson["lesson_id"])
    own = s.thread("instructor", title="Welcome")
    assert (first["author_id"], first["comment_count"], first["pinned"]) == (s.w.id("learner"), 0, False)
    assert first["author_name"] == s.w.users["learner"].display_name

    listed = s.w.ok("other_learner", "GET", f"/courses/{s.course_id}/threads")["items"]
    assert [t["thread_id"] for t in listed] == [
        own["thread_id"],
        about_lesson["thread_id"],
        first["thread_id"],
    ]
    pinned = s.w.ok("instructor", "PATCH", f"/threads/{first['thread_id']}/moderation", json={"pinned": True})
    assert pinned["pinned"] is True
    listed = s.w.ok("learner", "GET", f"/courses/{s.course_id}/threads")["items"]
    assert [t["thread_id"] for t in listed][0] == first["thread_id"]
    by_lesson = s.w.ok(
        "learner", "GET", f"/courses/{s.course_id}/threads", params={"lesson_id": lesson["lesson_id"]}
    )
    assert [t["thread_id"] for t in by_lesson["items"]] == [about_lesson["thread_id"]]

    # Pages follow the same order without repeats.
    page = s.w.ok("learner", "GET", f"/courses/{s.course_id}/threads", params={"limit": 2})
    rest = s.w.ok("learner", "GET", f"/courses/{s.course_id}/threads", params={"cursor": page["next_cursor"]})
    assert [t["thread_id"] for t in page["items"] + rest["items"]] == [t["thread_id"] for t in listed]
    assert s.events("discussion_thread", first["thread_id"]) == [
        ("posted", s.w.id("learner")),
        ("updated", s.w.id("instructor")),
    ]


def test_only_participants_take_part(s: Social) -> None:
    thread = s.thread()
    for role in ("other_instructor",):
        response = s.w.call(role, "GET", f"/courses/{s.course_id}/threads")
        assert response.status_code == 403
        assert "enroll" in response.json()["detail"]
        assert (
            s.w.call(
                role, "POST", f"/threads/{thread['thread_id']}/comments", json={"body": "hi"}
            ).status_code
            == 403
        )
    assert s.w.call("anonymous", "GET", f"/threads/{thread['thread_id']}").status_code == 401
    other_course = s.w.course(lessons=1)
    lesson = s.w.lessons(other_course)[0]
    wrong = s.w.call("learner", "POST", f"/courses/{s.course_id}/threads",
                     json={"title": "t", "body": "b", "lesson_id": lesson["lesson_id"]})  # fmt: skip
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.lesson_id"


def test_comments_nest_to_any_depth_and_come_back_as_a_tree(s: Social) -> None:
    thread = s.thread()
    top = s.comment(thread, "learner", body="top")
    chain = [top]
    for depth in range(1, 6):
        chain.append(
            s.comment(thread, "other_learner" if depth % 2 else "learner", chain[-1], body=f"d{depth}")
        )
    assert [c["depth"] for c in chain] == [0, 1, 2, 3, 4, 5]
    second = s.comment(thread, "other_learner", body="second top")

    tree = s.w.ok("learner", "GET", f"/threads/{thread['thread_id']}/comments", params={"depth": 3})
    assert tree["depth"] == 3
    assert _ids(tree["items"]) == [top["comment_id"], second["comment_id"]]
    level1 = tree["items"][0]["replies"]
    level2 = level1[0]["replies"]
    assert _ids(level1) == [chain[1]["comment_id"]] and _ids(level2) == [chain[2]["comment_id"]]
    # The third level is the last one: its replies were cut, and the cursor continues there.
    assert level2[0]["replies"] == [] and level2[0]["reply_count"] == 1
    assert tree["items"][0]["replies_cursor"] is None and level2[0]["replies_cursor"] is not None
    assert tree["items"][1]["reply_count"] == 0 and tree["items"][1]["replies_cursor"] is None

    deeper = s.w.ok(
        "learner", "GET", f"/comments/{chain[2]['comment_id']}/replies",
        params={"cursor": level2[0]["replies_cursor"], "depth": 10},
    )  # fmt: skip
    node, found = deeper["items"][0], []
    while node:
        found.append(node["body"])
        node = node["replies"][0] if node["replies"] else None
    assert found == ["d3", "d4", "d5"]
    # A cursor continues only the comment it was issued for.
    wrong = s.w.call("learner", "GET", f"/comments/{top['comment_id']}/replies",
                     params={"cursor": level2[0]["replies_cursor"]})  # fmt: skip
    assert wrong.status_code == 400


def test_replies_and_pages_are_cut_with_cursors(s: Social) -> None:
    thread = s.thread()
    tops = [s.comment(thread, "learner", body=f"top {n}") for n in range(3)]
    replies = [s.comment(thread, "other_learner", tops[0], body=f"reply {n}") for n in range(3)]

    page = s.w.ok(
        "learner", "GET", f"/threads/{thread['thread_id']}/comments", params={"limit": 2, "replies": 2}
    )
    assert _ids(page["items"]) == _ids(tops[:2])
    first = page["items"][0]
    assert _ids(first["replies"]) == _ids(replies[:2]) and first["reply_count"] == 3
    rest = s.w.ok("learner", "GET", f"/comments/{tops[0]['comment_id']}/replies",
                  params={"cursor": first["replies_cursor"]})  # fmt: skip
    assert _ids(rest["items"]) == [replies[2]["comment_id"]] and rest["next_cursor"] is None
    last = s.w.ok(
        "learner", "GET", f"/threads/{thread['thread_id']}/comments", params={"cursor": page["next_cursor"]}
    )
    assert _ids(last["items"]) == [tops[2]["comment_id"]] and last["next_cursor"] is None
    # A replies cursor is not a page cursor of the thread.
    mixed = s.w.call("learner", "GET", f"/threads/{thread['thread_id']}/comments",
                     params={"cursor": first["replies_cursor"]})  # fmt: skip
    assert mixed.status_code == 400


def test_authors_edit_and_delete_and_replied_comments_stay_as_tombstones(s: Social) -> None:
    thread = s.thread()
    parent = s.comment(thread, "learner", body="parent")
    reply = s.comment(thread, "other_learner", parent, body="reply")
    path = f"/comments/{parent['comment_id']}"
    assert s.w.call("other_learner", "PATCH", path, json={"body": "mine now"}).status_code == 403
    edited = s.w.ok("learner", "PATCH", path, json={"body": "parent, edited"})
    assert edited["body"] == "parent, edited" and edited["edited_at"] is not None
    assert s.w.call("other_learner", "DELETE", path).status_code == 403

    assert s.w.call("learner", "DELETE", path).status_code == 204
    tree = s.w.ok("other_learner", "GET", f"/threads/{thread['thread_id']}/comments")
    (tombstone,) = tree["items"]
    assert (tombstone["status"], tombstone["body"], tombstone["author_id"]) == ("deleted", None, None)
    assert _ids(tombstone["replies"]) == [reply["comment_id"]]
    assert s.w.call("learner", "PATCH", path, json={"body": "back"}).status_code == 409
    # Replying to a tombstone is refused; removing its last reply removes the tombstone too.
    refused = s.w.call("learner", "POST", f"/threads/{thread['thread_id']}/comments",
                       json={"body": "x", "parent_comment_id": parent["comment_id"]})  # fmt: skip
    assert refused.status_code == 409
    assert s.w.call("other_learner", "DELETE", f"/comments/{reply['comment_id']}").status_code == 204
    assert s.w.ok("learner", "GET", f"/threads/{thread['thread_id']}/comments")["items"] == []
    assert s.events("comment", parent["comment_id"]) == [
        ("posted", s.w.id("learner")),
        ("updated", s.w.id("learner")),
        ("deleted", s.w.id("learner")),
    ]


def test_threads_are_deleted_by_their_author_until_someone_comments(s: Social) -> None:
    lonely, busy = s.thread(), s.thread()
    s.comment(busy, "other_learner")
    assert s.w.call("other_learner", "DELETE", f"/threads/{lonely['thread_id']}").status_code == 403
    assert s.w.call("learner", "DELETE", f"/threads/{lonely['thread_id']}").status_code == 204
    assert s.w.call("learner", "GET", f"/threads/{lonely['thread_id']}").status_code == 404
    refused = s.w.call("learner", "DELETE", f"/threads/{busy['thread_id']}")
    assert refused.status_code == 409
    assert s.w.call("admin", "DELETE", f"/threads/{busy['thread_id']}").status_code == 204
    edited = s.w.call("learner", "PATCH", f"/threads/{lonely['thread_id']}", json={"title": "x"})
    assert edited.status_code == 404


def test_a_locked_thread_refuses_comments(s: Social) -> None:
    thread = s.thread()
    path = f"/threads/{thread['thread_id']}/moderation"
    assert s.w.call("learner", "PATCH", path, json={"locked": True}).status_code == 403
    assert s.w.call("other_instructor", "PATCH", path, json={"locked": True}).status_code == 403
    assert s.w.ok("instructor", "PATCH", path, json={"locked": True})["locked"] is True
    refused = s.w.call("learner", "POST", f"/threads/{thread['thread_id']}/comments", json={"body": "late"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["reason"] == "thread_locked"
    assert s.w.ok("admin", "PATCH", path, json={"locked": False})["locked"] is False
    s.comment(thread, "learner", body="open again")


def test_hidden_posts_show_only_to_their_author_and_the_moderators(s: Social) -> None:
    thread = s.thread("other_learner")
    comment = s.comment(thread, "learner", body="rude")
    hidden = s.w.ok(
        "instructor", "PUT", f"/comments/{comment['comment_id']}/visibility", json={"hidden": True}
    )
    assert hidden["hidden"] is True
    seen = {
        role: s.w.ok(role, "GET", f"/threads/{thread['thread_id']}/comments")["items"][0]
        for role in ("learner", "other_learner", "instructor")
    }
    assert {role: (node["status"], node["body"]) for role, node in seen.items()} == {
        "learner": ("hidden", "rude"),
        "other_learner": ("hidden", None),
        "instructor": ("hidden", "rude"),
    }
    assert seen["other_learner"]["author_id"] is None

    s.w.ok("admin", "PUT", f"/threads/{thread['thread_id']}/visibility", json={"hidden": True})
    assert s.w.call("learner", "GET", f"/threads/{thread['thread_id']}").status_code == 404
    assert s.w.ok("other_learner", "GET", f"/threads/{thread['thread_id']}")["hidden"] is True
    listed = {
        role: [t["thread_id"] for t in s.w.ok(role, "GET", f"/courses/{s.course_id}/threads")["items"]]
        for role in ("learner", "other_learner", "instructor")
    }
    assert listed == {
        "learner": [],
        "other_learner": [thread["thread_id"]],
        "instructor": [thread["thread_id"]],
    }
    assert s.w.call("learner", "PUT", f"/threads/{thread['thread_id']}/visibility",
                    json={"hidden": False}).status_code == 403  # fmt: skip


def test_text_is_stored_as_given_and_escaped_when_rendered(s: Social) -> None:
    script = '<script>alert("x")</script> & <b>bold</b>  '
    thread = s.thread(title=script, body=script)
    comment = s.comment(thread, body=script)
    response = s.w.call("other_learner", "GET", f"/threads/{thread['thread_id']}/comments")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["items"][0]["body"] == script == comment["body"]
    assert s.w.ok("other_learner", "GET", f"/threads/{thread['thread_id']}")["title"] == script
    # Pages render through autoescaping Jinja2 (app_api.pages.rendering); so would any page of these posts.
    from app_api.pages.rendering import ENVIRONMENT

    assert isinstance(ENVIRONMENT, Environment) and ENVIRONMENT.autoescape
    rendered = ENVIRONMENT.from_string("<p>{{ body }}</p>").render(body=script)
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
