"""A state change's event goes into the change's own transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.events.recording import record_event


def test_event_is_written_in_the_callers_transaction(session: Session) -> None:
    learner, course = uuid.uuid4(), uuid.uuid4()
    savepoint = session.begin_nested()
    event_id = record_event(
        session,
        actor_id=learner,
        verb="registered",
        object_type="course",
        object_id=course,
        course_id=course,
        extensions={"source": "test"},
    )
    row = session.execute(
        text(
            "select actor_id, verb, object_id, course_id, extensions from learner_events where event_id = :id"
        ),
        {"id": event_id},
    ).one()
    assert tuple(row) == (learner, "registered", str(course), course, {"source": "test"})
    savepoint.rollback()
    count = session.execute(
        text("select count(*) from learner_events where event_id = :id"), {"id": event_id}
    )
    assert count.scalar_one() == 0


def test_unknown_verbs_are_refused_before_writing(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown verb"):
        record_event(session, actor_id=uuid.uuid4(), verb="teleported", object_type="course", object_id="c")


def test_listeners_run_once_per_newly_stored_event(session: Session) -> None:
    from skillstudio.events import recording

    seen: list[tuple[str, str]] = []

    def remember(listener_session: Session, row: recording.EventRow) -> None:
        # The listener works in the change's transaction: it can already read the event.
        stored = listener_session.execute(
            text("select verb from learner_events where event_id = :id"), {"id": row.event_id}
        ).scalar_one()
        seen.append((stored, row.object_id))

    recording.listen(remember)
    recording.listen(remember)  # installing twice keeps one
    try:
        learner, lesson = uuid.uuid4(), uuid.uuid4()
        when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        for _ in range(2):  # the retry maps to the same event id, which the store skips
            record_event(
                session,
                actor_id=learner,
                verb="completed",
                object_type="lesson",
                object_id=lesson,
                occurred_at=when,
            )
        assert seen == [("completed", str(lesson))]
    finally:
        recording._listeners.pop(f"{remember.__module__}.{remember.__qualname__}")
