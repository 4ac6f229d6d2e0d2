"""A state change's event goes into the change's own transaction."""

from __future__ import annotations

import uuid

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
