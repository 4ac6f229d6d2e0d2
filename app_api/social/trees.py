"""Comment trees: a page of comments, each with its replies down to a depth, read level by level.

A tree is read with one query per level (each level's replies, at most ``replies`` per comment, by a window
over the parent), plus one for reply counts and one for names, never one per comment. Three limits keep an
answer bounded: ``limit`` comments on the page's own level, ``replies`` per comment below it, ``depth``
levels (the page's level is 1; at most ``MAX_DEPTH``), and ``MAX_NODES`` comments in all. A comment whose
replies were cut by any of them carries a ``replies_cursor``; ``GET /comments/{comment_id}/replies`` with
it continues after the last reply shown (or from the first when none was). Replies are oldest first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app_api.common.pagination import encode_cursor, keyset, page_of, parse_cursor
from app_api.social import access
from app_api.social.models import DiscussionComment
from app_api.social.schemas import CommentNode, CommentTree
from app_api.social.service import comment_status, visible_comment, visible_thread
from app_api.users import service as users
from skillstudio.errors import InvalidRequest
from skillstudio.web.principals import Principal

MAX_NODES = 500
REPLIES_TAG = "comment-replies"
# The key "before every reply": a replies cursor from it starts at the first reply.
_START = (datetime(1, 1, 1, tzinfo=UTC), uuid.UUID(int=0))

Comment = DiscussionComment


def _replies_cursor(parent_id: uuid.UUID, after: tuple[datetime, uuid.UUID]) -> str:
    return encode_cursor([REPLIES_TAG, parent_id, after[0], after[1]])


def _children(
    session: Session, parent_ids: list[uuid.UUID], per_parent: int
) -> dict[uuid.UUID, list[Comment]]:
    """The first ``per_parent`` replies of each parent, oldest first."""
    position = (
        func.row_number()
        .over(partition_by=Comment.parent_comment_id, order_by=(Comment.created_at, Comment.comment_id))
        .label("position")
    )
    ranked = select(Comment, position).where(Comment.parent_comment_id.in_(parent_ids)).subquery()
    reply = aliased(Comment, ranked)
    rows = session.scalars(
        select(reply)
        .where(ranked.c.position <= per_parent)
        .order_by(ranked.c.parent_comment_id, ranked.c.created_at, ranked.c.comment_id)
    ).all()
    found: dict[uuid.UUID, list[Comment]] = defaultdict(list)
    for row in rows:
        found[row.parent_comment_id].append(row)  # type: ignore[index]
    return found


def _reply_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(Comment.parent_comment_id, func.count())
        .where(Comment.parent_comment_id.in_(ids))
        .group_by(Comment.parent_comment_id)
    ).all()
    return {parent: count for parent, count in rows}  # type: ignore[misc]


def _forest(
    session: Session, standing: access.Standing, roots: list[Comment], *, depth: int, replies: int
) -> list[CommentNode]:
    children: dict[uuid.UUID, list[Comment]] = {}
    everyone = list(roots)
    level = list(roots)
    for _ in range(depth - 1):
        budget = MAX_NODES - len(everyone)
        if not level or budget <= 0:
            break
        found = _children(session, [comment.comment_id for comment in level], replies)
        next_level: list[Comment] = []
        for parent in level:  # the page's order, so that a cut budget keeps the earliest replies
            kept = found.get(parent.comment_id, [])[: max(0, budget - len(next_level))]
            children[parent.comment_id] = kept
            next_level.extend(kept)
        everyone.extend(next_level)
        level = next_level
    counts = _reply_counts(session, [comment.comment_id for comment in everyone])
    names = users.display_names(session, user_ids={comment.author_id for comment in everyone})

    def node(comment: Comment) -> CommentNode:
        status = comment_status(comment)
        shown = status != "deleted" and standing.sees(author_id=comment.author_id, hidden=status == "hidden")
        kept = children.get(comment.comment_id, [])
        count = counts.get(comment.comment_id, 0)
        cursor = None
        if count > len(kept):
            after = (kept[-1].created_at, kept[-1].comment_id) if kept else _START
            cursor = _replies_cursor(comment.comment_id, after)
        return CommentNode(
            comment_id=comment.comment_id, thread_id=comment.thread_id,
            parent_comment_id=comment.parent_comment_id, depth=comment.depth,
            status=status,
            author_id=comment.author_id if shown else None,
            author_name=names.get(comment.author_id) if shown else None,
            body=comment.body if shown else None, created_at=comment.created_at, edited_at=comment.edited_at,
            reply_count=count, replies=[node(child) for child in kept], replies_cursor=cursor,
        )  # fmt: skip

    return [node(root) for root in roots]


def thread_comments(
    session: Session,
    *,
    viewer: Principal,
    thread_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    depth: int,
    replies: int,
) -> CommentTree:
    """A page of the thread's top-level comments (oldest first), each with its replies."""
    _, standing = visible_thread(session, viewer=viewer, thread_id=thread_id)
    statement = select(Comment).where(Comment.thread_id == thread_id, Comment.parent_comment_id.is_(None))
    after = parse_cursor(cursor, tag="comments", kinds=(datetime, uuid.UUID))
    columns = (Comment.created_at, Comment.comment_id)
    rows = session.scalars(keyset(statement, columns=columns, after=after, limit=limit)).all()
    roots, next_cursor = page_of(
        rows, limit=limit, tag="comments", key_of=lambda c: [c.created_at, c.comment_id]
    )
    items = _forest(session, standing, list(roots), depth=depth, replies=replies)
    return CommentTree(items=items, next_cursor=next_cursor, depth=depth)


def comment_replies(
    session: Session,
    *,
    viewer: Principal,
    comment_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    depth: int,
    replies: int,
) -> CommentTree:
    """A page of a comment's replies (oldest first), each with its own replies."""
    _, _, standing = visible_comment(session, viewer=viewer, comment_id=comment_id)
    key = parse_cursor(cursor, tag=REPLIES_TAG, kinds=(uuid.UUID, datetime, uuid.UUID))
    after = None
    if key is not None:
        if key[0] != comment_id:
            raise InvalidRequest(
                "The cursor continues the replies of another comment; pass it to that comment's replies."
            )
        after = key[1:]
    statement = select(Comment).where(Comment.parent_comment_id == comment_id)
    columns = (Comment.created_at, Comment.comment_id)
    rows = session.scalars(keyset(statement, columns=columns, after=after, limit=limit)).all()
    page, next_cursor = page_of(
        rows, limit=limit, tag=REPLIES_TAG, key_of=lambda c: [comment_id, c.created_at, c.comment_id]
    )
    items = _forest(session, standing, list(page), depth=depth, replies=replies)
    return CommentTree(items=items, next_cursor=next_cursor, depth=depth)
