"""Course reviews (1-5 stars and text), one per learner, and the course instructor's response to each.

Who may review: a learner enrolled in the course (an active or completed enrollment; anyone else gets 403)
who has completed at least ``REVIEW_SHARE`` (a quarter) of the course's required lessons, or the whole
course (409 until then, saying how far they are). One review per learner and course (a second is 409 naming
the first). Authors edit and delete their review; admins may delete any. The course's instructor answers a
review once (409 for a second; they edit or delete it instead). Reviews and ratings are public like the
catalogue; a hidden review is shown only to its author and the moderators and leaves the rating.

Events (``course_id`` set): ``posted`` / ``updated`` / ``deleted`` with object ``review`` (stars as the
result: ``score_raw`` 1-5 within ``score_min`` 1 and ``score_max`` 5) or ``review_response``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app_api.common.loading import load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.enrollments import service as enrollments
from app_api.progress import service as progress
from app_api.social import access, posting
from app_api.social.models import CourseReview, ReviewResponse
from app_api.social.schemas import (
    RatingRead,
    ResponseRead,
    ResponseWrite,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    ReviewUpdate,
)
from app_api.users import service as users
from skillstudio.errors import Conflict, Forbidden, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

REVIEW_SHARE = 0.25
"""The share of a course's required lessons a learner must have completed to review it."""


def _stars(stars: int) -> dict[str, Any]:
    return {"score_raw": float(stars), "score_min": 1.0, "score_max": 5.0, "score_scaled": (stars - 1) / 4}


def _event(
    session: Session, actor: Principal, verb: str, object_type: str, object_id: uuid.UUID,
    course_id: uuid.UUID, now: datetime, **fields: Any,
) -> None:  # fmt: skip
    record_event(
        session, actor_id=actor.user_id, verb=verb, object_type=object_type, object_id=object_id,
        course_id=course_id, occurred_at=now, **fields,
    )  # fmt: skip


def _missing(review_id: uuid.UUID) -> str:
    return f"There is no review {review_id} that you can see."


def _reads(session: Session, reviews: list[CourseReview]) -> list[ReviewRead]:
    ids = [review.review_id for review in reviews]
    responses = {
        response.review_id: response
        for response in session.scalars(select(ReviewResponse).where(ReviewResponse.review_id.in_(ids)))
    }
    authors = {review.author_id for review in reviews} | {r.author_id for r in responses.values()}
    names = users.display_names(session, user_ids=authors)
    return [
        ReviewRead(
            review_id=review.review_id,
            course_id=review.course_id,
            author_id=review.author_id,
            author_name=names.get(review.author_id),
            stars=review.stars,
            body=review.body,
            hidden=review.hidden_at is not None,
            created_at=review.created_at,
            edited_at=review.edited_at,
            response=_response_read(responses[review.review_id], names)
            if review.review_id in responses
            else None,
        )  # fmt: skip
        for review in reviews
    ]


def _response_read(response: ReviewResponse, names: dict[uuid.UUID, str]) -> ResponseRead:
    return ResponseRead(
        response_id=response.response_id, review_id=response.review_id, author_id=response.author_id,
        author_name=names.get(response.author_id), body=response.body, created_at=response.created_at,
        edited_at=response.edited_at,
    )  # fmt: skip


def visible_review(
    session: Session, *, viewer: Principal | None, review_id: uuid.UUID, lock: bool = False
) -> tuple[CourseReview, access.Standing]:
    review = load(session, CourseReview, review_id, missing=_missing(review_id), lock=lock)
    standing = access.standing(session, viewer=viewer, course_id=review.course_id)
    if not standing.sees(author_id=review.author_id, hidden=review.hidden_at is not None):
        raise NotFound(_missing(review_id))
    return review, standing


def _check_eligible(session: Session, principal: Principal, course_id: uuid.UUID) -> None:
    enrollment_id = enrollments.active_enrollment_id(session, user_id=principal.user_id, course_id=course_id)
    if enrollment_id is None:
        raise Forbidden("You can only review a course you are enrolled in.", reason="not_enrolled")
    figures = progress.enrollment_progress(session=session, viewer=principal, enrollment_id=enrollment_id)
    share = figures.required_completed / figures.lessons_required if figures.lessons_required else 0.0
    if figures.status != "completed" and share < REVIEW_SHARE:
        raise Conflict(
            f"Reviews open once you have completed {REVIEW_SHARE:.0%} of the course's required lessons; you "
            f"have completed {figures.required_completed} of {figures.lessons_required} ({share:.0%}).",
            reason="not_enough_progress",
            required_share=REVIEW_SHARE,
            completed_share=round(share, 4),
        )


def create_review(
    session: Session, *, principal: Principal, course_id: uuid.UUID, data: ReviewCreate
) -> ReviewRead:
    access.standing(session, viewer=principal, course_id=course_id)  # 404 for a course the caller cannot see
    _check_eligible(session, principal, course_id)
    now = datetime.now(UTC)
    posting.admit(session, user_id=principal.user_id, now=now)  # also serialises the author's posts
    existing = session.scalar(
        select(CourseReview.review_id).where(
            CourseReview.course_id == course_id, CourseReview.author_id == principal.user_id
        )
    )
    if existing is not None:
        raise Conflict(
            f"You have already reviewed this course (review {existing}); edit or delete that one.",
            reason="already_reviewed",
            review_id=str(existing),
        )
    review = CourseReview(
        review_id=uuid.uuid4(), course_id=course_id, author_id=principal.user_id, stars=data.stars,
        body=data.body, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(review)
    session.flush()
    _event(session, principal, "posted", "review", review.review_id, course_id, now, **_stars(data.stars))
    return _reads(session, [review])[0]


def list_reviews(
    session: Session, *, viewer: Principal | None, course_id: uuid.UUID, cursor: str | None, limit: int
) -> ReviewPage:
    standing = access.standing(session, viewer=viewer, course_id=course_id)
    statement = select(CourseReview).where(CourseReview.course_id == course_id)
    if not standing.moderator:
        shown: ColumnElement[bool] = CourseReview.hidden_at.is_(None)
        if viewer is not None:
            shown = or_(shown, CourseReview.author_id == viewer.user_id)
        statement = statement.where(shown)
    after = parse_cursor(cursor, tag="reviews", kinds=(datetime, uuid.UUID))
    columns = (CourseReview.created_at, CourseReview.review_id)
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    reviews, next_cursor = page_of(
        rows, limit=limit, tag="reviews", key_of=lambda r: [r.created_at, r.review_id]
    )
    return ReviewPage(items=_reads(session, list(reviews)), next_cursor=next_cursor)


def get_review(session: Session, *, viewer: Principal | None, review_id: uuid.UUID) -> ReviewRead:
    review, _ = visible_review(session, viewer=viewer, review_id=review_id)
    return _reads(session, [review])[0]


def update_review(
    session: Session, *, principal: Principal, review_id: uuid.UUID, data: ReviewUpdate
) -> ReviewRead:
    review, _ = visible_review(session, viewer=principal, review_id=review_id, lock=True)
    if review.author_id != principal.user_id:
        raise Forbidden("Only the review's author edits it.")
    changes = sorted(name for name in data.model_fields_set if getattr(review, name) != getattr(data, name))
    if changes:
        now = datetime.now(UTC)
        for name in changes:
            setattr(review, name, getattr(data, name))
        review.updated_at = review.edited_at = now
        session.flush()
        _event(
            session, principal, "updated", "review", review_id, review.course_id, now,
            extensions={"fields": changes}, **_stars(review.stars),
        )  # fmt: skip
    return _reads(session, [review])[0]


def delete_review(session: Session, *, principal: Principal, review_id: uuid.UUID) -> None:
    review, _ = visible_review(session, viewer=principal, review_id=review_id, lock=True)
    if not (principal.is_admin or review.author_id == principal.user_id):
        raise Forbidden("Only the review's author or an admin deletes it.")
    course_id = review.course_id
    session.delete(review)
    session.flush()
    _event(session, principal, "deleted", "review", review_id, course_id, datetime.now(UTC))


def rating(session: Session, *, viewer: Principal | None, course_id: uuid.UUID) -> RatingRead:
    """The course's rating over its visible reviews (hidden ones left out for everyone)."""
    access.standing(session, viewer=viewer, course_id=course_id)
    rows = session.execute(
        select(CourseReview.stars, func.count())
        .where(CourseReview.course_id == course_id, CourseReview.hidden_at.is_(None))
        .group_by(CourseReview.stars)
    ).all()
    distribution = {str(stars): 0 for stars in range(1, 6)}
    for stars, count in rows:
        distribution[str(stars)] = count
    total = sum(distribution.values())
    average = round(sum(int(s) * n for s, n in distribution.items()) / total, 2) if total else None
    return RatingRead(
        course_id=course_id, review_count=total, average_stars=average, distribution=distribution
    )


# ---- the instructor's response


def _instructed_review(
    session: Session, principal: Principal, review_id: uuid.UUID
) -> tuple[CourseReview, ReviewResponse | None]:
    review, standing = visible_review(session, viewer=principal, review_id=review_id, lock=True)
    if standing.course.instructor_id != principal.user_id:
        raise Forbidden("Only the course's instructor responds to its reviews.")
    response = session.scalar(
        select(ReviewResponse).where(ReviewResponse.review_id == review_id).with_for_update()
    )
    return review, response


def respond(
    session: Session, *, principal: Principal, review_id: uuid.UUID, data: ResponseWrite
) -> ResponseRead:
    review, existing = _instructed_review(session, principal, review_id)
    if existing is not None:
        raise Conflict(
            "The review already has your response; edit or delete it.",
            reason="already_responded",
            response_id=str(existing.response_id),
        )
    now = datetime.now(UTC)
    posting.admit(session, user_id=principal.user_id, now=now)
    response = ReviewResponse(
        response_id=uuid.uuid4(), review_id=review_id, author_id=principal.user_id, body=data.body,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(response)
    session.flush()
    _event(
        session, principal, "posted", "review_response", response.response_id, review.course_id, now,
        extensions={"review_id": str(review_id)},
    )  # fmt: skip
    return _response_read(response, users.display_names(session, user_ids={principal.user_id}))


def _own_response(
    session: Session, principal: Principal, review_id: uuid.UUID
) -> tuple[CourseReview, ReviewResponse]:
    review, response = _instructed_review(session, principal, review_id)
    if response is None:
        raise NotFound(f"Review {review_id} has no response yet.")
    return review, response


def update_response(
    session: Session, *, principal: Principal, review_id: uuid.UUID, data: ResponseWrite
) -> ResponseRead:
    review, response = _own_response(session, principal, review_id)
    if response.body != data.body:
        now = datetime.now(UTC)
        response.body = data.body
        response.updated_at = response.edited_at = now
        session.flush()
        _event(
            session, principal, "updated", "review_response", response.response_id, review.course_id, now,
            extensions={"review_id": str(review_id), "fields": ["body"]},
        )  # fmt: skip
    return _response_read(response, users.display_names(session, user_ids={response.author_id}))


def delete_response(session: Session, *, principal: Principal, review_id: uuid.UUID) -> None:
    review, response = _own_response(session, principal, review_id)
    response_id = response.response_id
    session.delete(response)
    session.flush()
    _event(
        session, principal, "deleted", "review_response", response_id, review.course_id, datetime.now(UTC),
        extensions={"review_id": str(review_id)},
    )  # fmt: skip
