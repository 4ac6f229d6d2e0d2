"""Concurrent writers on real, separate transactions: no lost update, no duplicate enrollment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app_api.courses import content_service, service
from app_api.courses.schemas import CourseCreate, CourseUpdate, LessonCreate
from app_api.enrollments import service as enrollments
from skillstudio.errors import DomainError, PreconditionFailed
from skillstudio.web.principals import Principal
from tests.factories import make_user


@pytest.fixture
def sessions(fresh_database: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(fresh_database)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except DomainError as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_blocked_by(sessions: sessionmaker[Session], holder: Session, timeout: float = 10.0) -> None:
    """Return once another backend waits on a lock held by ``holder``'s transaction; fail after ``timeout``.

    Asked of PostgreSQL (``pg_blocking_pids``) rather than guessed with a sleep, so the test proves the
    second transaction really queued behind the first, however slow the machine.
    """
    blocker = holder.scalar(text("select pg_backend_pid()"))
    waiting = text(
        "select exists (select 1 from pg_stat_activity where :blocker = any(pg_blocking_pids(pid)))"
    )
    deadline = time.monotonic() + timeout
    with sessions() as observer:
        while not observer.scalar(waiting, {"blocker": blocker}):
            if time.monotonic() > deadline:
                pytest.fail(f"no transaction waited on backend {blocker} within {timeout} s")
            observer.rollback()  # a fresh snapshot of pg_stat_activity on the next poll
            time.sleep(0.01)


def test_two_editors_with_the_same_etag_cannot_both_win(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as setup:
        owner = make_user(setup, role="instructor")
        admin = make_user(setup, role="admin")
        editor = Principal(user_id=owner.user_id, role="instructor")
        course = service.create_course(
            session=setup, actor=editor, data=CourseCreate(title="Original", subject="S", level="beginner")
        )
    other = Principal(user_id=admin.user_id, role="admin")

    first = sessions()
    service.update_course(
        session=first,
        actor=editor,
        course_id=course.course_id,
        if_match=course.etag,
        data=CourseUpdate(title="First"),
    )

    def second_edit() -> Any:
        with sessions.begin() as second:
            return service.update_course(
                session=second,
                actor=other,
                course_id=course.course_id,
                if_match=course.etag,
                data=CourseUpdate(title="Second"),
            )

    thread, outcome = in_thread(second_edit)
    wait_until_blocked_by(sessions, first)  # the second editor waits on the first one's row lock
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=10)
    assert isinstance(outcome["error"], PreconditionFailed)  # 412
    with sessions() as check:
        title, version = check.execute(
            text("select title, version from courses where course_id = :id"), {"id": course.course_id}
        ).one()
        updates = check.scalar(
            text("select count(*) from learner_events where verb = 'updated' and object_id = :id"),
            {"id": str(course.course_id)},
        )
    assert (title, version, updates) == ("First", 2, 1)


def test_simultaneous_enrollments_make_one_enrollment_and_one_event(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as setup:
        owner = make_user(setup, role="instructor")
        learner = make_user(setup, role="learner")
        author = Principal(user_id=owner.user_id, role="instructor")
        course = service.create_course(
            session=setup, actor=author, data=CourseCreate(title="Popular", subject="S", level="beginner")
        )
        content_service.create_lesson(
            session=setup,
            actor=author,
            course_id=course.course_id,
            data=LessonCreate(title="L", estimated_minutes=5),
        )
        service.change_status(
            session=setup, actor=author, course_id=course.course_id, action="publish", if_match=None
        )
    me = Principal(user_id=learner.user_id, role="learner")

    first = sessions()
    made, created = enrollments.enroll(session=first, actor=me, course_id=course.course_id)
    assert created

    def second_enroll() -> Any:
        with sessions.begin() as second:
            return enrollments.enroll(session=second, actor=me, course_id=course.course_id)

    thread, outcome = in_thread(second_enroll)
    wait_until_blocked_by(sessions, first)  # the second enrollment waits on the first one's unique key
    first.commit()
    first.close()
    thread.join(timeout=10)
    again, created_again = outcome["value"]
    assert (again.enrollment_id, created_again) == (made.enrollment_id, False)
    with sessions() as check:
        counts = check.execute(
            text(
                "select (select count(*) from enrollments where course_id = :id), "
                "(select count(*) from learner_events where verb = 'registered' and course_id = :id)"
            ),
            {"id": course.course_id},
        ).one()
    assert tuple(counts) == (1, 1)
