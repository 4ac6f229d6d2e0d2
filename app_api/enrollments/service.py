"""Enrolling in and dropping courses.

Enrolling is idempotent: an active or completed enrollment in the course is returned as it is (``created``
false); a dropped one is re-activated with its earlier progress (``enrolled_at`` keeps the first enrollment
time, which also keeps the list order stable). A course must be published to take new
enrollments, and every prerequisite course must have been completed first (409 naming each one missing).
Only enrollments made through the API (no course run) are managed here; imported cohort enrollments are
read-only history.

Events: enrolling -> ``registered``, dropping -> ``unregistered`` and completing (the progress domain says
when) -> ``completed``, object the course, ``registration`` the enrollment id.

Other domains read enrollments as ``EnrollmentRead`` and, for reports that join them, as the plain columns
of ``enrollment_rows``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.courses.schemas import CourseRef
from app_api.enrollments.models import Enrollment
from app_api.enrollments.schemas import EnrollmentPage, EnrollmentRead
from skillstudio.errors import Conflict, Forbidden, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def _read(enrollment: Enrollment, course_title: str) -> EnrollmentRead:
    return EnrollmentRead(
        enrollment_id=enrollment.enrollment_id,
        user_id=enrollment.user_id,
        course_id=enrollment.course_id,
        course_title=course_title,
        status=enrollment.status,
        enrolled_at=enrollment.enrolled_at,
        completed_at=enrollment.completed_at,
        unregistered_at=enrollment.unregistered_at,
        course_run_id=enrollment.course_run_id,
        outcome=enrollment.outcome,
    )


def _event(session: Session, actor: Principal, verb: str, enrollment: Enrollment) -> None:
    record_event(
        session,
        actor_id=actor.user_id,
        verb=verb,
        object_type="course",
        object_id=enrollment.course_id,
        course_id=enrollment.course_id,
        registration=enrollment.enrollment_id,
    )


def _existing(session: Session, user_id: uuid.UUID, course_id: uuid.UUID) -> Enrollment | None:
    return session.scalar(
        select(Enrollment)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.course_id == course_id,
            Enrollment.course_run_id.is_(None),
        )
        .with_for_update()
    )


def _missing_prerequisites(session: Session, user_id: uuid.UUID, course_id: uuid.UUID) -> list[CourseRef]:
    """The course's prerequisites that ``user_id`` has not completed (in any run), by title."""
    required = courses.prerequisites(session=session, course_id=course_id)
    completed = set(
        session.scalars(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user_id,
                Enrollment.status == "completed",
                Enrollment.course_id.in_([ref.course_id for ref in required]),
            )
        )
    )
    return [ref for ref in required if ref.course_id not in completed]


def active_enrollment_id(session: Session, *, user_id: uuid.UUID, course_id: uuid.UUID) -> uuid.UUID | None:
    """The learner's most recent active or completed enrollment in the course, if any."""
    return session.scalars(
        select(Enrollment.enrollment_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.course_id == course_id,
            Enrollment.status.in_(("active", "completed")),
        )
        .order_by(Enrollment.enrolled_at.desc())
        .limit(1)
    ).first()


def enroll(*, session: Session, actor: Principal, course_id: uuid.UUID) -> tuple[EnrollmentRead, bool]:
    """The caller's enrollment in the course and whether this call created it."""
    course = courses.visible_course(session=session, viewer=actor, course_id=course_id)
    existing = _existing(session, actor.user_id, course_id)
    if existing is not None and existing.status != "dropped":
        return _read(existing, course.title), False
    if course.status != "published":
        raise Conflict(
            f"Course {course.title!r} is {course.status}; only published courses take enrollments."
        )
    missing = _missing_prerequisites(session, actor.user_id, course_id)
    if missing:
        raise Conflict(
            f"Complete the prerequisites of {course.title!r} first: "
            f"{'; '.join(f'{ref.title} ({ref.course_id})' for ref in missing)}.",
            title="Prerequisites missing",
            missing_prerequisites=[ref.model_dump(mode="json") for ref in missing],
        )
    now = datetime.now(UTC)
    if existing is not None:
        existing.status = "active"
        existing.unregistered_at = None
        enrollment = existing
    else:
        enrollment = Enrollment(
            enrollment_id=uuid.uuid4(),
            user_id=actor.user_id,
            course_id=course_id,
            status="active",
            enrolled_at=now,
        )
    try:
        # Added inside the savepoint: begin_nested() flushes pending rows first, outside it.
        with session.begin_nested():
            session.add(enrollment)
            session.flush()
    except IntegrityError as error:
        # A concurrent request enrolled first (unique per learner and course): answer with its enrollment.
        raced = _existing(session, actor.user_id, course_id)
        if raced is None:
            raise Conflict("Could not enroll: your account no longer exists; log in again.") from error
        return _read(raced, course.title), False
    _event(session, actor, "registered", enrollment)
    return _read(enrollment, course.title), existing is None


def _owned(
    session: Session, viewer: Principal, enrollment_id: uuid.UUID, *, lock: bool = False
) -> Enrollment:
    """The enrollment if it is the viewer's own (or the viewer is an admin); 404 if absent, 403 if not."""
    statement = select(Enrollment).where(Enrollment.enrollment_id == enrollment_id)
    enrollment = session.scalar(statement.with_for_update() if lock else statement)
    if enrollment is None:
        raise NotFound(f"There is no enrollment {enrollment_id}.")
    if not viewer.can_act_for(enrollment.user_id):
        raise Forbidden("This enrollment belongs to another learner.")
    return enrollment


def _title(session: Session, course_id: uuid.UUID) -> str:
    return courses.course_titles(session=session, course_ids=[course_id]).get(course_id, "")


def get_enrollment(
    *, session: Session, viewer: Principal, enrollment_id: uuid.UUID, lock: bool = False
) -> EnrollmentRead:
    """The viewer's own enrollment (any for an admin); ``lock`` holds its row until the transaction ends,
    which serialises the changes made on its behalf (progress reports)."""
    enrollment = _owned(session, viewer, enrollment_id, lock=lock)
    return _read(enrollment, _title(session, enrollment.course_id))


def complete_enrollment(
    session: Session, *, actor: Principal, enrollment: EnrollmentRead, now: datetime, duration_s: float
) -> EnrollmentRead:
    """Mark an active enrollment completed, with its ``completed`` course event (``duration_s``: the time
    spent on the course's lessons); the caller decides that the course is done and holds the row's lock."""
    row = session.get_one(Enrollment, enrollment.enrollment_id)
    row.status = "completed"
    row.completed_at = now
    session.flush()
    record_event(
        session,
        actor_id=actor.user_id,
        verb="completed",
        object_type="course",
        object_id=row.course_id,
        course_id=row.course_id,
        registration=row.enrollment_id,
        occurred_at=now,
        completion=True,
        duration_s=duration_s,
    )
    return _read(row, enrollment.course_title)


def drop(*, session: Session, actor: Principal, enrollment_id: uuid.UUID) -> EnrollmentRead:
    """Drop an active enrollment. Dropping a dropped one changes nothing; a completed one stays completed."""
    enrollment = _owned(session, actor, enrollment_id, lock=True)
    title = _title(session, enrollment.course_id)
    if enrollment.status == "completed":
        raise Conflict(f"The enrollment in {title!r} is completed; a completed course cannot be dropped.")
    if enrollment.course_run_id is not None:
        raise Conflict("Imported cohort enrollments are history and cannot be dropped through the API.")
    if enrollment.status == "active":
        enrollment.status = "dropped"
        enrollment.unregistered_at = datetime.now(UTC)
        session.flush()
        _event(session, actor, "unregistered", enrollment)
    return _read(enrollment, title)


def list_enrollments(
    *,
    session: Session,
    viewer: Principal,
    user_id: uuid.UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> EnrollmentPage:
    """A learner's enrollments, newest first: the caller's own, or anyone's for an admin."""
    learner = user_id or viewer.user_id
    if not viewer.can_act_for(learner):
        raise Forbidden("Learners list their own enrollments only; leave user_id out.")
    statement = select(Enrollment).where(Enrollment.user_id == learner)
    if status is not None:
        statement = statement.where(Enrollment.status == status)
    after = parse_cursor(cursor, tag="enrollments", kinds=(datetime, uuid.UUID))
    columns = (Enrollment.enrolled_at, Enrollment.enrollment_id)
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="enrollments", key_of=lambda row: [row.enrolled_at, row.enrollment_id]
    )
    titles = courses.course_titles(session=session, course_ids=[item.course_id for item in items])
    return EnrollmentPage(
        items=[_read(enrollment, titles.get(enrollment.course_id, "")) for enrollment in items],
        next_cursor=next_cursor,
    )


def enrollment_rows() -> Select[uuid.UUID, uuid.UUID, uuid.UUID, str]:
    """Every enrollment as plain columns (enrollment_id, user_id, course_id, status), for other domains'
    reports to join (``.subquery()``) and filter in one query of their own."""
    return select(Enrollment.enrollment_id, Enrollment.user_id, Enrollment.course_id, Enrollment.status)
