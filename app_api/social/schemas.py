"""Discussions, reviews and reports over HTTP.

Text is kept exactly as sent (no trimming, no HTML processing) and returned as JSON as stored; whatever
renders it as HTML must escape it. Only NUL is refused, since PostgreSQL text cannot hold it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app_api.common.pagination import Page

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_DETAILS = 2_000
MAX_DEPTH = 10
DEFAULT_DEPTH = 3
MAX_REPLIES = 20
DEFAULT_REPLIES = 5

PostType = Literal["thread", "comment", "review"]
ReportReason = Literal["spam", "abuse", "off_topic", "misinformation", "other"]
CommentStatus = Literal["published", "deleted", "hidden"]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE), AfterValidator(_no_nul)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_no_nul)]
Details = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DETAILS), AfterValidator(_no_nul)]


def _a_number(value: object) -> object:
    """JSON numbers only (4 or 4.0, as JSON Schema's integer allows); never a string or a boolean."""
    if isinstance(value, str | bool):
        raise ValueError("must be a whole number from 1 to 5, not a string or a boolean")
    return value


Stars = Annotated[
    int, Field(ge=1, le=5, description="1 (poor) to 5 (excellent).", examples=[4]), BeforeValidator(_a_number)
]
# An update's fields are optional, never null: the schema does not offer null (left out = unchanged).
Unset = SkipJsonSchema[None]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Update(_Input):
    # At least one field: the schema says so (minProperties), and the validator below enforces it.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep the current value")
        return self


# ---- threads


class ThreadCreate(_Input):
    title: Title = Field(examples=["How do window functions differ from GROUP BY?"])
    body: Text = Field(description=f"The opening post, kept as sent (up to {MAX_TEXT} characters).")
    lesson_id: uuid.UUID | None = Field(
        default=None, description="A lesson of the course this thread is about; null for the whole course."
    )


class ThreadUpdate(_Update):
    title: Title | Unset = None
    body: Text | Unset = None


class ThreadModeration(_Update):
    """Pin (shown first) or lock (no new comments) a thread: the course's instructor or an admin."""

    pinned: StrictBool | Unset = None
    locked: StrictBool | Unset = None


class ThreadRead(BaseModel):
    thread_id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID | None
    author_id: uuid.UUID
    author_name: str | None
    title: str
    body: str
    pinned: bool
    locked: bool
    hidden: StrictBool = Field(
        description="Hidden by a moderator: shown only to its author and the moderators."
    )
    comment_count: int = Field(description="Comments and replies at any depth, tombstones included.")
    created_at: datetime
    edited_at: datetime | None


class ThreadPage(Page[ThreadRead]):
    """A course's threads: pinned first, then newest first."""


# ---- comments


class CommentCreate(_Input):
    body: Text
    parent_comment_id: uuid.UUID | None = Field(
        default=None, description="The comment this replies to (same thread); null for a top-level comment."
    )


class CommentUpdate(_Input):
    body: Text


class CommentNode(BaseModel):
    comment_id: uuid.UUID
    thread_id: uuid.UUID
    parent_comment_id: uuid.UUID | None
    depth: int = Field(description="0 for a comment on the thread, 1 for a reply to it, and so on.")
    status: CommentStatus = Field(
        description="published; deleted (a tombstone kept for its replies: no author, no body); hidden (by a "
        "moderator: its author and the moderators still see the body, others see neither body nor author)."
    )
    author_id: uuid.UUID | None
    author_name: str | None
    body: str | None
    created_at: datetime
    edited_at: datetime | None
    reply_count: int = Field(description="Direct replies, whether or not this answer includes them.")
    replies: list[CommentNode] = Field(description="The first direct replies, oldest first, each a subtree.")
    replies_cursor: str | None = Field(
        description="Set when replies were cut by the depth or the replies limit: pass it as ?cursor= to "
        "GET /comments/{comment_id}/replies for the rest of them."
    )


class CommentTree(Page[CommentNode]):
    """A page of comments, each with its replies down to ``depth`` levels."""

    depth: int = Field(description="Levels included, the page's own level counted as 1.")


class CommentRead(BaseModel):
    comment_id: uuid.UUID
    thread_id: uuid.UUID
    parent_comment_id: uuid.UUID | None
    depth: int
    status: CommentStatus
    author_id: uuid.UUID | None
    body: str | None
    created_at: datetime
    edited_at: datetime | None


# ---- reviews


class ReviewCreate(_Input):
    stars: Stars
    body: Text


class ReviewUpdate(_Update):
    stars: Stars | Unset = None
    body: Text | Unset = None


class ResponseWrite(_Input):
    body: Text


class ResponseRead(BaseModel):
    response_id: uuid.UUID
    review_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str | None
    body: str
    created_at: datetime
    edited_at: datetime | None


class ReviewRead(BaseModel):
    review_id: uuid.UUID
    course_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str | None
    stars: int
    body: str
    hidden: bool
    created_at: datetime
    edited_at: datetime | None
    response: ResponseRead | None = Field(description="The course instructor's answer, if any.")


class ReviewPage(Page[ReviewRead]):
    """A course's reviews, newest first."""


class RatingRead(BaseModel):
    course_id: uuid.UUID
    review_count: int
    average_stars: float | None = Field(
        description="Mean of the visible reviews' stars, 2 places; null with none."
    )
    distribution: dict[str, int] = Field(description='Reviews per star count, "1" to "5".')


# ---- reports and hiding


class ReportCreate(_Input):
    post_type: PostType
    post_id: uuid.UUID
    reason: ReportReason
    details: Details | None = None


class ReportRead(BaseModel):
    report_id: uuid.UUID
    course_id: uuid.UUID
    post_type: PostType
    post_id: uuid.UUID
    reporter_id: uuid.UUID
    reason: ReportReason
    details: str | None
    created_at: datetime
    resolved_at: datetime | None


class ReportPage(Page[ReportRead]):
    """A course's reports, newest first."""


class Visibility(_Input):
    hidden: StrictBool = Field(
        description="true hides the post from everyone but its author and the moderators."
    )


class VisibilityRead(BaseModel):
    post_type: PostType
    post_id: uuid.UUID
    hidden: bool
    hidden_at: datetime | None
    resolved_reports: int = Field(description="Open reports of the post that hiding it resolved.")
