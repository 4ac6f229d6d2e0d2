"""Issue 15 point 6: posting rate limits (429 + Retry-After) and oversized bodies (413, never parsed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.social.limits import MAX_BODY_BYTES
from tests.app_api.social.helpers import Social


@pytest.fixture
def s(client: TestClient, session: Session) -> Social:
    return Social(client, session)


def _count(session: Session, table: str) -> int:
    return int(session.scalar(text(f"select count(*) from {table}")) or 0)


def test_ten_posts_a_minute_then_429_with_retry_after(s: Social) -> None:
    thread = s.thread()  # the first post of the minute
    for n in range(9):
        s.comment(thread, body=f"comment {n}")
    comments, events = _count(s.session, "discussion_comments"), _count(s.session, "learner_events")
    refused = s.w.call(
        "learner", "POST", f"/threads/{thread['thread_id']}/comments", json={"body": "one more"}
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (refused.json()["limit"], refused.json()["window_seconds"]) == (10, 60)
    assert (_count(s.session, "discussion_comments"), _count(s.session, "learner_events")) == (
        comments,
        events,
    )
    # The limit is the poster's own: another learner still posts.
    s.comment(thread, "other_learner", body="me too")


def test_the_hourly_limit_counts_the_last_hour(s: Social) -> None:
    thread = s.thread("other_learner")
    learner = s.w.id("learner")
    half_an_hour_ago = datetime.now(UTC) - timedelta(minutes=30)
    s.session.execute(
        text(
            "insert into social_posting_log (user_id, posted_at) "
            "select :user, :at from generate_series(1, 120)"
        ),
        {"user": learner, "at": half_an_hour_ago},
    )
    refused = s.w.call("learner", "POST", f"/threads/{thread['thread_id']}/comments", json={"body": "hi"})
    assert refused.status_code == 429
    assert 1790 <= int(refused.headers["Retry-After"]) <= 1800
    assert refused.json()["window_seconds"] == 3600
    # Posts older than an hour no longer count.
    s.session.execute(
        text("update social_posting_log set posted_at = :at where user_id = :user"),
        {"user": learner, "at": datetime.now(UTC) - timedelta(minutes=61)},
    )
    s.comment(thread, "learner", body="hi again")
    assert (
        _count(s.session, "social_posting_log") == 2
    )  # the old rows were pruned; the thread and the comment


def _chunks(size: int) -> Iterator[bytes]:
    payload = b'{"body": "' + b"x" * size + b'"}'
    for start in range(0, len(payload), 8192):
        yield payload[start : start + 8192]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bodies_over_64_kib_are_refused_unread(s: Social, chunked: bool) -> None:
    thread = s.thread()
    url = f"/api/v1/threads/{thread['thread_id']}/comments"
    headers = {**s.w.headers("learner"), "content-type": "application/json"}
    size = MAX_BODY_BYTES + 1
    content = _chunks(size) if chunked else b'{"body": "' + b"x" * size + b'"}'
    response = s.w.client.post(url, content=content, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["max_bytes"] == MAX_BODY_BYTES == 65536
    # Just under the limit the body is read and validated (too long a text is a 422, not a 413).
    under = s.w.client.post(url, content=b'{"body": "' + b"x" * 30_000 + b'"}', headers=headers)
    assert under.status_code == 422
    assert under.json()["errors"][0]["field"] == "body.body"
    # A chunked body within the limit is parsed as usual.
    small = s.w.client.post(url, content=_chunks(10), headers=headers)
    assert small.status_code == 201, small.text


def test_the_limits_are_in_the_openapi(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    posting = [
        ("/api/v1/courses/{course_id}/threads", "post"),
        ("/api/v1/threads/{thread_id}/comments", "post"),
        ("/api/v1/courses/{course_id}/reviews", "post"),
        ("/api/v1/reviews/{review_id}/response", "post"),
        ("/api/v1/reports", "post"),
    ]
    for path, method in posting:
        responses = paths[path][method]["responses"]
        assert {"409", "413", "429"} <= set(responses), path
        assert "Retry-After" in responses["429"]["headers"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            if method in {"post", "put", "patch"} and "discussions and reviews" in operation.get("tags", []):
                assert "413" in operation["responses"], (method, path)
