"""The access matrix's rows and rules for the discussion and review routes (merged into RULES).

Rows: learner A's thread, comment and review in instructor X's published course, where A and B are enrolled
(``Resources.enrollment``) and A has completed one of its two lessons (enough to review it). Participants of
the discussions are A, B, X and admins; reviews and ratings are public; moderation is X's and admins'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.app_api.access_resources import Request, Resources

PARTICIPANTS = frozenset({"learner", "other_learner", "instructor", "admin"})
LEARNER_A = frozenset({"learner"})
A_AND_ADMIN = frozenset({"learner", "admin"})
X_AND_ADMIN = frozenset({"instructor", "admin"})
X_ONLY = frozenset({"instructor"})
EVERYONE = frozenset({"anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin"})


def _cache(r: Resources) -> dict[str, Any]:
    if not hasattr(r, "_social"):
        r._social = {}  # type: ignore[attr-defined]
    return r._social  # type: ignore[attr-defined,no-any-return]


def _course(r: Resources) -> str:
    _ = r.enrollment  # A and B enrolled
    return str(r.published["course_id"])


def new_thread(r: Resources) -> dict[str, Any]:
    body = {"title": "Question", "body": "How do joins work?"}
    return dict(r.w.ok("learner", "POST", f"/courses/{_course(r)}/threads", json=body))


def thread(r: Resources) -> dict[str, Any]:
    cache = _cache(r)
    if "thread" not in cache:
        cache["thread"] = new_thread(r)
    return dict(cache["thread"])


def new_comment(r: Resources) -> dict[str, Any]:
    return dict(r.w.ok("learner", "POST", f"/threads/{thread(r)['thread_id']}/comments", json={"body": "Hi"}))


def comment(r: Resources) -> dict[str, Any]:
    cache = _cache(r)
    if "comment" not in cache:
        cache["comment"] = new_comment(r)
        r.w.ok("other_learner", "POST", f"/threads/{thread(r)['thread_id']}/comments",
               json={"body": "Hello", "parent_comment_id": cache["comment"]["comment_id"]})  # fmt: skip
    return dict(cache["comment"])


def _eligible(r: Resources) -> None:
    """A completes the course's first lesson: half of it, past the share reviews need."""
    cache = _cache(r)
    if "eligible" not in cache:
        path = f"/enrollments/{r.enrollment['enrollment_id']}/lessons/{r.lesson['lesson_id']}/progress"
        r.w.ok("learner", "POST", path, json={"completed": True})
        cache["eligible"] = True


def review(r: Resources) -> str:
    """A's review of the course (posted again after a delete)."""
    _eligible(r)
    response = r.w.call(
        "learner", "POST", f"/courses/{_course(r)}/reviews", json={"stars": 4, "body": "Good"}
    )
    if response.status_code == 409:
        return str(response.json()["review_id"])
    assert response.status_code == 201, response.text
    return str(response.json()["review_id"])


def _with_response(r: Resources, present: bool) -> str:
    review_id = review(r)
    path = f"/reviews/{review_id}/response"
    if present:
        r.w.call("instructor", "POST", path, json={"body": "Thanks"})  # 409 when it is there already
    else:
        r.w.call("instructor", "DELETE", path)  # 404 when there is none
    return review_id


def build(
    method: str, path: Callable[[Resources], str], **kwargs: Any
) -> Callable[[Resources, str], Request]:
    def request(r: Resources, role: str) -> Request:
        return method, path(r), dict(kwargs)

    return request


def rules(rule: Callable[..., Any]) -> dict[tuple[str, str], Any]:
    """The rules, built with ``access_rules.Rule`` (passed in, so this module does not import it)."""
    v = "/api/v1"
    refused_or_early = frozenset({403, 404, 409})
    return {
        ("GET", f"{v}/courses/{{course_id}}/threads"): rule(
            PARTICIPANTS, build("GET", lambda r: (thread(r), f"/courses/{_course(r)}/threads")[1])
        ),
        ("POST", f"{v}/courses/{{course_id}}/threads"): rule(
            PARTICIPANTS,
            build("POST", lambda r: f"/courses/{_course(r)}/threads", json={"title": "T", "body": "B"}),
        ),
        ("GET", f"{v}/threads/{{thread_id}}"): rule(
            PARTICIPANTS, build("GET", lambda r: f"/threads/{thread(r)['thread_id']}")
        ),
        ("PATCH", f"{v}/threads/{{thread_id}}"): rule(
            LEARNER_A,
            build("PATCH", lambda r: f"/threads/{thread(r)['thread_id']}", json={"title": "Renamed"}),
        ),
        ("DELETE", f"{v}/threads/{{thread_id}}"): rule(
            A_AND_ADMIN, build("DELETE", lambda r: f"/threads/{new_thread(r)['thread_id']}")
        ),
        ("PATCH", f"{v}/threads/{{thread_id}}/moderation"): rule(
            X_AND_ADMIN,
            build("PATCH", lambda r: f"/threads/{thread(r)['thread_id']}/moderation", json={"pinned": True}),
        ),
        ("PUT", f"{v}/threads/{{thread_id}}/visibility"): rule(
            X_AND_ADMIN,
            build(
                "PUT", lambda r: f"/threads/{new_thread(r)['thread_id']}/visibility", json={"hidden": True}
            ),
        ),
        ("GET", f"{v}/threads/{{thread_id}}/comments"): rule(
            PARTICIPANTS,
            build("GET", lambda r: (comment(r), f"/threads/{thread(r)['thread_id']}/comments")[1]),
        ),
        ("POST", f"{v}/threads/{{thread_id}}/comments"): rule(
            PARTICIPANTS,
            build("POST", lambda r: f"/threads/{thread(r)['thread_id']}/comments", json={"body": "B"}),
        ),
        ("GET", f"{v}/comments/{{comment_id}}/replies"): rule(
            PARTICIPANTS, build("GET", lambda r: f"/comments/{comment(r)['comment_id']}/replies")
        ),
        ("PATCH", f"{v}/comments/{{comment_id}}"): rule(
            LEARNER_A,
            build("PATCH", lambda r: f"/comments/{comment(r)['comment_id']}", json={"body": "Edited"}),
        ),
        ("DELETE", f"{v}/comments/{{comment_id}}"): rule(
            A_AND_ADMIN, build("DELETE", lambda r: f"/comments/{new_comment(r)['comment_id']}")
        ),
        ("PUT", f"{v}/comments/{{comment_id}}/visibility"): rule(
            X_AND_ADMIN,
            build(
                "PUT", lambda r: f"/comments/{new_comment(r)['comment_id']}/visibility", json={"hidden": True}
            ),
        ),
        ("GET", f"{v}/courses/{{course_id}}/reviews"): rule(
            EVERYONE, build("GET", lambda r: (review(r), f"/courses/{_course(r)}/reviews")[1])
        ),
        ("GET", f"{v}/courses/{{course_id}}/rating"): rule(
            EVERYONE, build("GET", lambda r: (review(r), f"/courses/{_course(r)}/rating")[1])
        ),
        # A alone is enrolled with enough progress (B has none yet: 409; the others are not enrolled: 403).
        ("POST", f"{v}/courses/{{course_id}}/reviews"): rule(
            LEARNER_A,
            build(
                "POST",
                lambda r: (_eligible(r), f"/courses/{_course(r)}/reviews")[1],
                json={"stars": 5, "body": "!"},
            ),
            refusal=refused_or_early,
        ),
        ("GET", f"{v}/reviews/{{review_id}}"): rule(
            EVERYONE, build("GET", lambda r: f"/reviews/{review(r)}")
        ),
        ("PATCH", f"{v}/reviews/{{review_id}}"): rule(
            LEARNER_A, build("PATCH", lambda r: f"/reviews/{review(r)}", json={"stars": 3})
        ),
        ("DELETE", f"{v}/reviews/{{review_id}}"): rule(
            A_AND_ADMIN, build("DELETE", lambda r: f"/reviews/{review(r)}")
        ),
        ("PUT", f"{v}/reviews/{{review_id}}/visibility"): rule(
            X_AND_ADMIN, build("PUT", lambda r: f"/reviews/{review(r)}/visibility", json={"hidden": True})
        ),
        ("POST", f"{v}/reviews/{{review_id}}/response"): rule(
            X_ONLY,
            build("POST", lambda r: f"/reviews/{_with_response(r, False)}/response", json={"body": "Thanks"}),
        ),
        ("PATCH", f"{v}/reviews/{{review_id}}/response"): rule(
            X_ONLY,
            build(
                "PATCH", lambda r: f"/reviews/{_with_response(r, True)}/response", json={"body": "Thank you"}
            ),
        ),
        ("DELETE", f"{v}/reviews/{{review_id}}/response"): rule(
            X_ONLY, build("DELETE", lambda r: f"/reviews/{_with_response(r, True)}/response")
        ),
        ("POST", f"{v}/reports"): rule(
            PARTICIPANTS,
            lambda r, role: (
                "POST",
                "/reports",
                {"json": {"post_type": "comment", "post_id": comment(r)["comment_id"], "reason": "spam"}},
            ),
        ),
        ("GET", f"{v}/courses/{{course_id}}/reports"): rule(
            X_AND_ADMIN, build("GET", lambda r: f"/courses/{_course(r)}/reports")
        ),
    }
