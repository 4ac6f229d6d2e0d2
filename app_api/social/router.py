"""Discussion, review and report routes. HTTP only: parse, call the social services, answer.

Every route that takes a body refuses one over 64 KiB with 413 before reading it (``limits``); posting
(threads, comments, reviews, responses, reports) is rate limited per user with 429 and ``Retry-After``
(``posting``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app_api.common.parameters import DEFAULT_PAGE, Cursor, Limit, problems
from app_api.social import moderation, reviews, service, trees
from app_api.social.limits import TOO_LARGE, LimitedBodyRoute
from app_api.social.moderation import ReportStatus
from app_api.social.posting import LIMITS
from app_api.social.schemas import (
    DEFAULT_DEPTH,
    DEFAULT_REPLIES,
    MAX_DEPTH,
    MAX_REPLIES,
    CommentCreate,
    CommentRead,
    CommentTree,
    CommentUpdate,
    RatingRead,
    ReportCreate,
    ReportPage,
    ReportRead,
    ResponseRead,
    ResponseWrite,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    ReviewUpdate,
    ThreadCreate,
    ThreadModeration,
    ThreadPage,
    ThreadRead,
    ThreadUpdate,
    Visibility,
    VisibilityRead,
)
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.problems import PROBLEM_JSON
from skillstudio.web.security import CurrentUser, OptionalUser

router = APIRouter(tags=["discussions and reviews"], route_class=LimitedBodyRoute)

_LIMITS = ", ".join(f"{count} per {int(window.total_seconds())} s" for count, window in LIMITS)
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": f"Too many posts ({_LIMITS} per user); Retry-After says when to try again.",
        "content": {PROBLEM_JSON: {}},
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    }
}
_READ = problems(403)
_WRITE = problems(403, 409) | TOO_LARGE
_POST = _WRITE | RATE_LIMITED

Depth = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_DEPTH,
        description=f"Levels of comments to include, the page's own counted (1-{MAX_DEPTH}).",
    ),
]
Replies = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_REPLIES,
        description=f"Replies included per comment below the page's level (1-{MAX_REPLIES}).",
    ),
]


# ---- threads


@router.get(
    "/courses/{course_id}/threads",
    response_model=ThreadPage,
    summary="List a course's discussion threads: pinned first, then newest (participants)",
    responses=_READ,
)
def list_threads(
    course_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    lesson_id: Annotated[uuid.UUID | None, Query(description="Only the threads about this lesson.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> ThreadPage:
    return service.list_threads(
        session, viewer=user, course_id=course_id, lesson_id=lesson_id, cursor=cursor, limit=limit
    )


@router.post(
    "/courses/{course_id}/threads",
    response_model=ThreadRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start a discussion thread about a course or one of its lessons (participants)",
    responses=_POST,
)
def create_thread(
    course_id: uuid.UUID, data: ThreadCreate, session: SessionDep, user: CurrentUser
) -> ThreadRead:
    return service.create_thread(session, principal=user, course_id=course_id, data=data)


@router.get("/threads/{thread_id}", response_model=ThreadRead, summary="Read a thread", responses=_READ)
def get_thread(thread_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> ThreadRead:
    return service.get_thread(session, viewer=user, thread_id=thread_id)


@router.patch("/threads/{thread_id}", response_model=ThreadRead, summary="Edit your thread", responses=_WRITE)
def update_thread(
    thread_id: uuid.UUID, data: ThreadUpdate, session: SessionDep, user: CurrentUser
) -> ThreadRead:
    return service.update_thread(session, principal=user, thread_id=thread_id, data=data)


@router.delete(
    "/threads/{thread_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your thread while it has no comments (admins: any thread)",
    responses=problems(403, 409),
)
def delete_thread(thread_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    service.delete_thread(session, principal=user, thread_id=thread_id)


@router.patch(
    "/threads/{thread_id}/moderation",
    response_model=ThreadRead,
    summary="Pin or lock a thread (the course's instructor or an admin)",
    responses=_WRITE,
)
def moderate_thread(
    thread_id: uuid.UUID, data: ThreadModeration, session: SessionDep, user: CurrentUser
) -> ThreadRead:
    return service.moderate_thread(session, principal=user, thread_id=thread_id, data=data)


@router.put(
    "/threads/{thread_id}/visibility",
    response_model=VisibilityRead,
    summary="Hide or unhide a thread (the course's instructor or an admin)",
    responses=_WRITE,
)
def thread_visibility(
    thread_id: uuid.UUID, data: Visibility, session: SessionDep, user: CurrentUser
) -> VisibilityRead:
    return moderation.set_hidden(
        session, principal=user, post_type="thread", post_id=thread_id, hidden=data.hidden
    )


# ---- comments


@router.get(
    "/threads/{thread_id}/comments",
    response_model=CommentTree,
    summary="A page of a thread's comments, oldest first, each with its replies as a tree",
    responses=_READ,
)
def thread_comments(
    thread_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    depth: Depth = DEFAULT_DEPTH,
    replies: Replies = DEFAULT_REPLIES,
) -> CommentTree:
    return trees.thread_comments(
        session, viewer=user, thread_id=thread_id, cursor=cursor, limit=limit, depth=depth, replies=replies
    )


@router.post(
    "/threads/{thread_id}/comments",
    response_model=CommentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a thread, or reply to one of its comments (participants; 409 when locked)",
    responses=_POST,
)
def create_comment(
    thread_id: uuid.UUID, data: CommentCreate, session: SessionDep, user: CurrentUser
) -> CommentRead:
    return service.create_comment(session, principal=user, thread_id=thread_id, data=data)


@router.get(
    "/comments/{comment_id}/replies",
    response_model=CommentTree,
    summary="A page of a comment's replies, oldest first, each with its replies (continues a replies_cursor)",
    responses=_READ,
)
def comment_replies(
    comment_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    depth: Depth = DEFAULT_DEPTH,
    replies: Replies = DEFAULT_REPLIES,
) -> CommentTree:
    return trees.comment_replies(
        session, viewer=user, comment_id=comment_id, cursor=cursor, limit=limit, depth=depth, replies=replies
    )


@router.patch(
    "/comments/{comment_id}", response_model=CommentRead, summary="Edit your comment", responses=_WRITE
)
def update_comment(
    comment_id: uuid.UUID, data: CommentUpdate, session: SessionDep, user: CurrentUser
) -> CommentRead:
    return service.update_comment(session, principal=user, comment_id=comment_id, data=data)


@router.delete(
    "/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your comment (admins: any); one with replies stays as a tombstone",
    responses=_READ,
)
def delete_comment(comment_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    service.delete_comment(session, principal=user, comment_id=comment_id)


@router.put(
    "/comments/{comment_id}/visibility",
    response_model=VisibilityRead,
    summary="Hide or unhide a comment (the course's instructor or an admin)",
    responses=_WRITE,
)
def comment_visibility(
    comment_id: uuid.UUID, data: Visibility, session: SessionDep, user: CurrentUser
) -> VisibilityRead:
    return moderation.set_hidden(
        session, principal=user, post_type="comment", post_id=comment_id, hidden=data.hidden
    )


# ---- reviews


@router.get(
    "/courses/{course_id}/reviews", response_model=ReviewPage, summary="List a course's reviews, newest first"
)
def list_reviews(
    course_id: uuid.UUID,
    session: SessionDep,
    viewer: OptionalUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> ReviewPage:
    return reviews.list_reviews(session, viewer=viewer, course_id=course_id, cursor=cursor, limit=limit)


@router.get(
    "/courses/{course_id}/rating",
    response_model=RatingRead,
    summary="A course's rating: average stars, count and distribution over its visible reviews",
)
def course_rating(course_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> RatingRead:
    return reviews.rating(session, viewer=viewer, course_id=course_id)


@router.post(
    "/courses/{course_id}/reviews",
    response_model=ReviewRead,
    status_code=status.HTTP_201_CREATED,
    summary=f"Review a course: enrolled learners who completed {reviews.REVIEW_SHARE:.0%} of it, once",
    description=(
        "403 when the caller is not enrolled in the course; 409 until they have completed "
        f"{reviews.REVIEW_SHARE:.0%} of the course's required lessons (or the course), and for a second "
        "review."
    ),
    responses=_POST,
)
def create_review(
    course_id: uuid.UUID, data: ReviewCreate, session: SessionDep, user: CurrentUser
) -> ReviewRead:
    return reviews.create_review(session, principal=user, course_id=course_id, data=data)


@router.get("/reviews/{review_id}", response_model=ReviewRead, summary="Read a review")
def get_review(review_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> ReviewRead:
    return reviews.get_review(session, viewer=viewer, review_id=review_id)


@router.patch("/reviews/{review_id}", response_model=ReviewRead, summary="Edit your review", responses=_WRITE)
def update_review(
    review_id: uuid.UUID, data: ReviewUpdate, session: SessionDep, user: CurrentUser
) -> ReviewRead:
    return reviews.update_review(session, principal=user, review_id=review_id, data=data)


@router.delete(
    "/reviews/{review_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your review (admins: any)",
    responses=_READ,
)
def delete_review(review_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    reviews.delete_review(session, principal=user, review_id=review_id)


@router.put(
    "/reviews/{review_id}/visibility",
    response_model=VisibilityRead,
    summary="Hide or unhide a review (the course's instructor or an admin)",
    responses=_WRITE,
)
def review_visibility(
    review_id: uuid.UUID, data: Visibility, session: SessionDep, user: CurrentUser
) -> VisibilityRead:
    return moderation.set_hidden(
        session, principal=user, post_type="review", post_id=review_id, hidden=data.hidden
    )


@router.post(
    "/reviews/{review_id}/response",
    response_model=ResponseRead,
    status_code=status.HTTP_201_CREATED,
    summary="Respond to a review of your course, once (the course's instructor)",
    responses=_POST,
)
def respond(
    review_id: uuid.UUID, data: ResponseWrite, session: SessionDep, user: CurrentUser
) -> ResponseRead:
    return reviews.respond(session, principal=user, review_id=review_id, data=data)


@router.patch(
    "/reviews/{review_id}/response",
    response_model=ResponseRead,
    summary="Edit your response to a review (the course's instructor)",
    responses=_WRITE,
)
def update_response(
    review_id: uuid.UUID, data: ResponseWrite, session: SessionDep, user: CurrentUser
) -> ResponseRead:
    return reviews.update_response(session, principal=user, review_id=review_id, data=data)


@router.delete(
    "/reviews/{review_id}/response",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your response to a review (the course's instructor)",
    responses=_READ,
)
def delete_response(review_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    reviews.delete_response(session, principal=user, review_id=review_id)


# ---- reports


@router.post(
    "/reports",
    response_model=ReportRead,
    status_code=status.HTTP_201_CREATED,
    summary="Report a thread, comment or review to the course's moderators (participants; once per post)",
    responses=_POST,
)
def report(data: ReportCreate, session: SessionDep, user: CurrentUser) -> ReportRead:
    return moderation.report(session, principal=user, data=data)


@router.get(
    "/courses/{course_id}/reports",
    response_model=ReportPage,
    summary="List the reports of a course's posts, newest first (the course's instructor or an admin)",
    responses=_READ,
)
def list_reports(
    course_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    report_status: Annotated[
        ReportStatus, Query(alias="status", description="open, resolved or all.")
    ] = "open",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> ReportPage:
    return moderation.list_reports(
        session, principal=user, course_id=course_id, status=report_status, cursor=cursor, limit=limit
    )
