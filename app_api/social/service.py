"""Course and lesson discussion threads and their comments: posting, editing, deleting, pinning, locking.

Threads belong to a course, optionally about one of its lessons; comments nest to any depth. Authors edit
and delete their own posts (admins may delete any). A deleted comment with replies stays as a tombstone
(no author, no body) so its replies keep their place; one without replies is removed, and so is each
tombstone ancestor left with no replies. A thread is deleted by its author only while nobody has commented
(afterwards it is the others' conversation too: 409), by an admin always. The course's instructor or an
admin pins a thread (listed first) or locks it (new comments are refused with 409).

Events (actor = the acting user, ``course_id`` set): ``posted`` / ``updated`` / ``deleted`` with object
``discussion_thread`` or ``comment``; pinning and locking are ``updated`` with ``extensions.pinned`` and
``extensions.locked``. Reading trees is in ``app_api.social.trees``; reviews, reports and hiding in their own
modules. Other domains use this module (and those) through their functions, never the ORM classes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from app_api.common.loading import load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.social import access, posting
from app_api.social.models import DiscussionComment, DiscussionThread
from app_api.social.schemas import (
    CommentCreate,
    CommentRead,
    CommentUpdate,
    ThreadCreate,
    ThreadModeration,
    ThreadPage,
    ThreadRead,
    ThreadUpdate,
)
from app_api.users import service as users
from skillstudio.errors import Conflict, Forbidden, InvalidContent, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def _event(
    session: Session, actor: Principal, verb: str, object_type: str, object_id: uuid.UUID,
    course_id: uuid.UUID, now: datetime, **extensions: Any,
) -> None:  # fmt: skip
    record_event(
        session, actor_id=actor.user_id, verb=verb, object_type=object_type, object_id=object_id,
        course_id=course_id, occurred_at=now, extensions=extensions,
    )  # fmt: skip


# ---- threads


def _missing_thread(thread_id: uuid.UUID) -> str:
    return f"There is no discussion thread {thread_id} that you can see."


def thread_reads(session: Session, threads: list[DiscussionThread]) -> list[ThreadRead]:
    ids = [thread.thread_id for thread in threads]
    counts: dict[uuid.UUID, int] = dict(
        session.execute(
            select(DiscussionComment.thread_id, func.count())
            .where(DiscussionComment.thread_id.in_(ids))
            .group_by(DiscussionComment.thread_id)
        ).all()
    )
    names = users.display_names(session, user_ids={thread.author_id for thread in threads})
    return [
        ThreadRead(
            thread_id=thread.thread_id,
            course_id=thread.course_id,
            lesson_id=thread.lesson_id,
            author_id=thread.author_id,
            author_name=names.get(thread.author_id),
            title=thread.title,
            body=thread.body,
            pinned=thread.pinned,
            locked=thread.locked,
            hidden=thread.hidden_at is not None,
            comment_count=counts.get(thread.thread_id, 0),
            created_at=thread.created_at,
            edited_at=thread.edited_at,
        )  # fmt: skip
        for thread in threads
    ]


def visible_thread(
    session: Session, *, viewer: Principal, thread_id: uuid.UUID, lock: bool = False
) -> tuple[DiscussionThread, access.Standing]:
    """The thread and the caller's standing in its course: 404 unless the caller may see it (a hidden thread
    only by its author and the moderators), 403 for a non-participant."""
    thread = load(session, DiscussionThread, thread_id, missing=_missing_thread(thread_id), lock=lock)
    standing = access.participant(session, viewer=viewer, course_id=thread.course_id)
    if not standing.sees(author_id=thread.author_id, hidden=thread.hidden_at is not None):
        raise NotFound(_missing_thread(thread_id))
    return thread, standing


def _check_lesson(session: Session, course_id: uuid.UUID, lesson_id: uuid.UUID) -> None:
    lesson = courses.lesson_rows().subquery("lesson")
    found = session.scalar(select(lesson.c.course_id).where(lesson.c.lesson_id == lesson_id))
    if found != course_id:
        raise InvalidContent.field("body.lesson_id", f"Lesson {lesson_id} is not a lesson of this course.")


def create_thread(
    session: Session, *, principal: Principal, course_id: uuid.UUID, data: ThreadCreate
) -> ThreadRead:
    access.participant(session, viewer=principal, course_id=course_id)
    if data.lesson_id is not None:
        _check_lesson(session, course_id, data.lesson_id)
    now = datetime.now(UTC)
    posting.admit(session, user_id=principal.user_id, now=now)
    thread = DiscussionThread(
        thread_id=uuid.uuid4(), course_id=course_id, lesson_id=data.lesson_id, author_id=principal.user_id,
        title=data.title, body=data.body, pinned=False, locked=False, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(thread)
    session.flush()
    lesson = str(data.lesson_id) if data.lesson_id else None
    _event(
        session, principal, "posted", "discussion_thread", thread.thread_id, course_id, now, lesson_id=lesson
    )
    return thread_reads(session, [thread])[0]


def list_threads(
    session: Session,
    *,
    viewer: Principal,
    course_id: uuid.UUID,
    lesson_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> ThreadPage:
    """The course's threads (or one lesson's): pinned first, then newest first."""
    standing = access.participant(session, viewer=viewer, course_id=course_id)
    statement = select(DiscussionThread).where(DiscussionThread.course_id == course_id)
    if lesson_id is not None:
        statement = statement.where(DiscussionThread.lesson_id == lesson_id)
    if not standing.moderator:
        statement = statement.where(
            or_(DiscussionThread.hidden_at.is_(None), DiscussionThread.author_id == viewer.user_id)
        )
    after = parse_cursor(cursor, tag="threads", kinds=(int, datetime, uuid.UUID))
    columns = (
        cast(DiscussionThread.pinned, Integer),
        DiscussionThread.created_at,
        DiscussionThread.thread_id,
    )
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    threads, next_cursor = page_of(
        rows, limit=limit, tag="threads", key_of=lambda t: [int(t.pinned), t.created_at, t.thread_id]
    )
    return ThreadPage(items=thread_reads(session, list(threads)), next_cursor=next_cursor)


def get_thread(session: Session, *, viewer: Principal, thread_id: uuid.UUID) -> ThreadRead:
    thread, _ = visible_thread(session, viewer=viewer, thread_id=thread_id)
    return thread_reads(session, [thread])[0]


def update_thread(
    session: Session, *, principal: Principal, thread_id: uuid.UUID, data: ThreadUpdate
) -> ThreadRead:
    thread, _ = visible_thread(session, viewer=principal, thread_id=thread_id, lock=True)
    if thread.author_id != principal.user_id:
        raise Forbidden("Only the thread's author edits it.")
    changes = sorted(name for name in data.model_fields_set if getattr(thread, name) != getattr(data, name))
    if not changes:
        return thread_reads(session, [thread])[0]
    now = datetime.now(UTC)
    for name in changes:
        setattr(thread, name, getattr(data, name))
    thread.updated_at = thread.edited_at = now
    session.flush()
    _event(
        session, principal, "updated", "discussion_thread", thread_id, thread.course_id, now, fields=changes
    )
    return thread_reads(session, [thread])[0]


def delete_thread(session: Session, *, principal: Principal, thread_id: uuid.UUID) -> None:
    thread, _ = visible_thread(session, viewer=principal, thread_id=thread_id, lock=True)
    if not (principal.is_admin or thread.author_id == principal.user_id):
        raise Forbidden("Only the thread's author or an admin deletes it.")
    commented = session.scalar(select(exists().where(DiscussionComment.thread_id == thread_id)))
    if commented and not principal.is_admin:
        raise Conflict(
            "The thread has comments, so it is no longer yours alone to delete; edit it, or ask the course's "
            "instructor to hide it."
        )
    course_id = thread.course_id
    session.delete(thread)
    session.flush()
    _event(session, principal, "deleted", "discussion_thread", thread_id, course_id, datetime.now(UTC))


def moderate_thread(
    session: Session, *, principal: Principal, thread_id: uuid.UUID, data: ThreadModeration
) -> ThreadRead:
    thread = load(session, DiscussionThread, thread_id, missing=_missing_thread(thread_id), lock=True)
    access.moderator(session, viewer=principal, course_id=thread.course_id)
    changes = sorted(name for name in data.model_fields_set if getattr(thread, name) != getattr(data, name))
    if changes:
        now = datetime.now(UTC)
        for name in changes:
            setattr(thread, name, getattr(data, name))
        thread.updated_at = now
        session.flush()
        _event(
            session, principal, "updated", "discussion_thread", thread_id, thread.course_id, now,
            fields=changes, pinned=thread.pinned, locked=thread.locked,
        )  # fmt: skip
    return thread_reads(session, [thread])[0]


# ---- comments


def _missing_comment(comment_id: uuid.UUID) -> str:
    return f"There is no comment {comment_id} that you can see."


def comment_status(comment: DiscussionComment) -> str:
    if comment.deleted_at is not None:
        return "deleted"
    return "hidden" if comment.hidden_at is not None else "published"


def comment_read(comment: DiscussionComment, *, shown: bool = True) -> CommentRead:
    status = comment_status(comment)
    content = shown and status != "deleted"
    return CommentRead(
        comment_id=comment.comment_id, thread_id=comment.thread_id,
        parent_comment_id=comment.parent_comment_id,
        depth=comment.depth, status=status,
        author_id=comment.author_id if content else None, body=comment.body if content else None,
        created_at=comment.created_at, edited_at=comment.edited_at,
    )  # fmt: skip


def visible_comment(
    session: Session, *, viewer: Principal, comment_id: uuid.UUID, lock: bool = False
) -> tuple[DiscussionComment, DiscussionThread, access.Standing]:
    comment = load(session, DiscussionComment, comment_id, missing=_missing_comment(comment_id), lock=lock)
    thread, standing = visible_thread(session, viewer=viewer, thread_id=comment.thread_id)
    return comment, thread, standing


def create_comment(
    session: Session, *, principal: Principal, thread_id: uuid.UUID, data: CommentCreate
) -> CommentRead:
    thread, standing = visible_thread(session, viewer=principal, thread_id=thread_id)
    if thread.locked:
        raise Conflict("The thread is locked: it takes no new comments.", reason="thread_locked")
    depth = 0
    if data.parent_comment_id is not None:
        parent = session.get(DiscussionComment, data.parent_comment_id)
        if parent is None or parent.thread_id != thread_id:
            raise InvalidContent.field(
                "body.parent_comment_id", f"Comment {data.parent_comment_id} is not a comment of this thread."
            )
        if parent.deleted_at is not None:
            raise Conflict("The comment was deleted; reply to the thread or another comment.")
        if not standing.sees(author_id=parent.author_id, hidden=parent.hidden_at is not None):
            raise Conflict("The comment was hidden by a moderator; it takes no replies.")
        depth = parent.depth + 1
    now = datetime.now(UTC)
    posting.admit(session, user_id=principal.user_id, now=now)
    comment = DiscussionComment(
        comment_id=uuid.uuid4(), thread_id=thread_id, parent_comment_id=data.parent_comment_id,
        author_id=principal.user_id, depth=depth, body=data.body, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(comment)
    session.flush()
    parent_id = str(data.parent_comment_id) if data.parent_comment_id else None
    _event(
        session, principal, "posted", "comment", comment.comment_id, thread.course_id, now,
        thread_id=str(thread_id), parent_comment_id=parent_id, depth=depth,
    )  # fmt: skip
    return comment_read(comment)


def update_comment(
    session: Session, *, principal: Principal, comment_id: uuid.UUID, data: CommentUpdate
) -> CommentRead:
    comment, thread, standing = visible_comment(session, viewer=principal, comment_id=comment_id, lock=True)
    if comment.author_id != principal.user_id:
        raise Forbidden("Only the comment's author edits it.")
    if comment.deleted_at is not None:
        raise Conflict("The comment was deleted.")
    if comment.body != data.body:
        now = datetime.now(UTC)
        comment.body = data.body
        comment.updated_at = comment.edited_at = now
        session.flush()
        _event(session, principal, "updated", "comment", comment_id, thread.course_id, now, fields=["body"])
    return comment_read(comment)


def delete_comment(session: Session, *, principal: Principal, comment_id: uuid.UUID) -> None:
    comment, thread, _ = visible_comment(session, viewer=principal, comment_id=comment_id, lock=True)
    if not (principal.is_admin or comment.author_id == principal.user_id):
        raise Forbidden("Only the comment's author or an admin deletes it.")
    if comment.deleted_at is not None:
        raise NotFound(_missing_comment(comment_id))
    now = datetime.now(UTC)
    replied = session.scalar(select(exists().where(DiscussionComment.parent_comment_id == comment_id)))
    if replied:
        comment.body, comment.deleted_at, comment.updated_at = None, now, now
        session.flush()
    else:
        _remove_with_empty_tombstones(session, comment)
    _event(
        session, principal, "deleted", "comment", comment_id, thread.course_id, now, tombstone=bool(replied)
    )


def _remove_with_empty_tombstones(session: Session, comment: DiscussionComment) -> None:
    """Remove a comment without replies, then each tombstone above it that has no replies left."""
    current: DiscussionComment | None = comment
    while current is not None:
        parent_id = current.parent_comment_id
        session.delete(current)
        session.flush()
        if parent_id is None:
            return
        parent = session.get(DiscussionComment, parent_id, with_for_update=True)
        if parent is None or parent.deleted_at is None:
            return
        if session.scalar(select(exists().where(DiscussionComment.parent_comment_id == parent_id))):
            return
        current = parent
