"""Reports of posts and their hiding by moderators.

Any participant of a course (an enrolled learner, its instructor, an admin) who can see a thread, comment or
review may report it once, with a reason (a second report of the same post by the same user is 409). The
course's moderators (its instructor and admins) list the reports and hide or unhide posts: a hidden post is
shown to nobody but its author and the moderators (to them marked hidden), and hiding resolves the post's
open reports.

Events (``course_id`` set): a report is ``created`` with object ``report``; hiding and unhiding are
``updated`` with ``extensions.hidden`` on the post (object ``discussion_thread``, ``comment`` or ``review``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app_api.common.loading import load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.social import access, posting
from app_api.social.models import CourseReview, DiscussionComment, DiscussionThread, PostReport
from app_api.social.reviews import visible_review
from app_api.social.schemas import PostType, ReportCreate, ReportPage, ReportRead, VisibilityRead
from app_api.social.service import visible_comment, visible_thread
from skillstudio.errors import Conflict, InvalidContent, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

OBJECT_TYPES: dict[str, str] = {"thread": "discussion_thread", "comment": "comment", "review": "review"}
ReportStatus = Literal["open", "resolved", "all"]

Post = DiscussionThread | DiscussionComment | CourseReview


def _report_read(report: PostReport) -> ReportRead:
    return ReportRead(
        report_id=report.report_id, course_id=report.course_id,
        post_type=report.post_type,
        post_id=report.post_id, reporter_id=report.reporter_id,
        reason=report.reason,
        details=report.details, created_at=report.created_at, resolved_at=report.resolved_at,
    )  # fmt: skip


def _reported_course(
    session: Session, principal: Principal, post_type: PostType, post_id: uuid.UUID
) -> uuid.UUID:
    """The course of a post the caller may see (422 naming the post when there is none they can see)."""
    try:
        if post_type == "thread":
            thread, standing = visible_thread(session, viewer=principal, thread_id=post_id)
            return thread.course_id
        if post_type == "comment":
            comment, thread, standing = visible_comment(session, viewer=principal, comment_id=post_id)
            if comment.deleted_at is not None:
                raise NotFound("deleted")
            return thread.course_id
        review, standing = visible_review(session, viewer=principal, review_id=post_id)
        if not standing.participant:
            access.participant(session, viewer=principal, course_id=review.course_id)
        return review.course_id
    except NotFound as error:
        raise InvalidContent.field(
            "body.post_id", f"There is no {post_type} {post_id} that you can see."
        ) from error


def report(session: Session, *, principal: Principal, data: ReportCreate) -> ReportRead:
    course_id = _reported_course(session, principal, data.post_type, data.post_id)
    now = datetime.now(UTC)
    posting.admit(session, user_id=principal.user_id, now=now)
    existing = session.scalar(
        select(PostReport.report_id).where(
            PostReport.post_type == data.post_type,
            PostReport.post_id == data.post_id,
            PostReport.reporter_id == principal.user_id,
        )
    )
    if existing is not None:
        raise Conflict(
            f"You have already reported this {data.post_type}.",
            reason="already_reported",
            report_id=str(existing),
        )
    row = PostReport(
        report_id=uuid.uuid4(), course_id=course_id, post_type=data.post_type, post_id=data.post_id,
        reporter_id=principal.user_id, reason=data.reason, details=data.details, created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="created", object_type="report", object_id=row.report_id,
        course_id=course_id, occurred_at=now,
        extensions={"post_type": data.post_type, "post_id": str(data.post_id), "reason": data.reason},
    )  # fmt: skip
    return _report_read(row)


def list_reports(
    session: Session,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    status: ReportStatus,
    cursor: str | None,
    limit: int,
) -> ReportPage:
    """The course's reports, newest first (moderators only)."""
    access.moderator(session, viewer=principal, course_id=course_id)
    statement = select(PostReport).where(PostReport.course_id == course_id)
    if status == "open":
        statement = statement.where(PostReport.resolved_at.is_(None))
    elif status == "resolved":
        statement = statement.where(PostReport.resolved_at.is_not(None))
    after = parse_cursor(cursor, tag="reports", kinds=(datetime, uuid.UUID))
    columns = (PostReport.created_at, PostReport.report_id)
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    reports, next_cursor = page_of(
        rows, limit=limit, tag="reports", key_of=lambda r: [r.created_at, r.report_id]
    )
    return ReportPage(items=[_report_read(r) for r in reports], next_cursor=next_cursor)


_ENTITIES: dict[str, type[Post]] = {
    "thread": DiscussionThread, "comment": DiscussionComment, "review": CourseReview,
}  # fmt: skip


def _course_of(session: Session, post: Post) -> uuid.UUID:
    if isinstance(post, DiscussionComment):
        thread = session.get(DiscussionThread, post.thread_id)
        assert thread is not None  # a comment's thread exists (foreign key)
        return thread.course_id
    return post.course_id


def set_hidden(
    session: Session, *, principal: Principal, post_type: PostType, post_id: uuid.UUID, hidden: bool
) -> VisibilityRead:
    """Hide or unhide a post (the course's instructor or an admin); hiding resolves its open reports."""
    post = load(
        session, _ENTITIES[post_type], post_id, missing=f"There is no {post_type} {post_id}.", lock=True
    )
    course_id = _course_of(session, post)
    access.moderator(session, viewer=principal, course_id=course_id)
    if isinstance(post, DiscussionComment) and post.deleted_at is not None:
        raise Conflict("The comment was deleted; there is nothing left to hide.")
    resolved = 0
    if (post.hidden_at is not None) != hidden:
        now = datetime.now(UTC)
        post.hidden_at, post.hidden_by = (now, principal.user_id) if hidden else (None, None)
        session.flush()
        if hidden:
            result = session.execute(
                update(PostReport)
                .where(
                    PostReport.post_type == post_type,
                    PostReport.post_id == post_id,
                    PostReport.resolved_at.is_(None),
                )
                .values(resolved_at=now, resolved_by=principal.user_id)
            )
            resolved = int(getattr(result, "rowcount", 0) or 0)
        record_event(
            session, actor_id=principal.user_id, verb="updated", object_type=OBJECT_TYPES[post_type],
            object_id=post_id, course_id=course_id, occurred_at=now,
            extensions={"hidden": hidden, "resolved_reports": resolved},
        )  # fmt: skip
    return VisibilityRead(
        post_type=post_type,
        post_id=post_id,
        hidden=post.hidden_at is not None,
        hidden_at=post.hidden_at,
        resolved_reports=resolved,
    )
