"""Scripted learners crossing into the high band: each is nudged once with a next step, the instructor gets
one digest of the newly at-risk, every notification is an event, and nobody is told twice in a week."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app_api.notifications.models import Notification
from app_api.risk.interventions import notify_new_high_risk
from app_api.risk.models import CompletionRiskScore
from tests.app_api.risk.scores import store_score
from tests.app_api.risk.world import risk_world


def notifications_of(session: Session, user_id: uuid.UUID) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.created_at)
        )
    )


def events_for(session: Session, notification_id: uuid.UUID) -> list[Any]:
    return session.execute(
        text(
            "select verb, actor_id, registration, extensions->>'kind' from learner_events "
            "where object_type = 'notification' and object_id = :id"
        ),
        {"id": str(notification_id)},
    ).all()


def test_crossing_into_high_risk_nudges_the_learner_and_digests_for_the_instructor(session: Session) -> None:
    world = risk_world(session, learners=4)
    crossing, already_told, medium, dropped = world.enrollments
    now = datetime.now(UTC)
    course_id = world.course.course_id
    store_score(session, enrollment_id=crossing.enrollment_id, course_id=course_id, risk=0.8, scored_at=now)
    store_score(
        session, enrollment_id=already_told.enrollment_id, course_id=course_id, risk=0.9,
        high_since=now - timedelta(days=3), notified_at=now - timedelta(days=2),
    )  # fmt: skip
    store_score(session, enrollment_id=medium.enrollment_id, course_id=course_id, risk=0.5, scored_at=now)
    store_score(session, enrollment_id=dropped.enrollment_id, course_id=course_id, risk=0.95, scored_at=now)
    dropped.status = "dropped"
    session.flush()

    summary = notify_new_high_risk(session, now=now)
    assert (summary.learners_notified, summary.digests) == (1, 1)
    assert summary.enrollments == [crossing.enrollment_id]
    (nudge,) = notifications_of(session, world.learners[0].user_id)
    assert nudge.kind == "completion_risk" and world.course.title in nudge.title
    # The next concrete step: the quiz due in three days (two assessments missed is among the reasons).
    assert "Submit 'Quiz 1'" in nudge.body
    assert nudge.link == f"/api/v1/assessments/{world.quiz.assessment_id}"
    assert nudge.data is not None and nudge.data["enrollment_id"] == str(crossing.enrollment_id)
    for learner in world.learners[1:]:
        assert notifications_of(session, learner.user_id) == []
    (digest,) = notifications_of(session, world.instructor.user_id)
    assert digest.kind == "at_risk_digest" and digest.title == "1 learner newly at risk"
    assert world.learners[0].display_name in digest.body and "80% risk" in digest.body
    assert digest.data == {"enrollments": [str(crossing.enrollment_id)], "courses": [str(course_id)]}
    # Each notification is an event, in this same transaction.
    assert events_for(session, nudge.notification_id) == [
        ("created", world.learners[0].user_id, crossing.enrollment_id, "completion_risk")
    ]
    assert events_for(session, digest.notification_id) == [
        ("created", world.instructor.user_id, None, "at_risk_digest")
    ]
    assert session.get(CompletionRiskScore, crossing.enrollment_id).notified_at == now  # type: ignore[union-attr]

    # The next run tells nobody again.
    again = notify_new_high_risk(session, now=now + timedelta(hours=1))
    assert (again.learners_notified, again.digests) == (0, 0)


def test_leaving_and_re_entering_the_band_is_told_again_only_after_a_week(session: Session) -> None:
    world = risk_world(session, learners=1)
    (enrollment,) = world.enrollments
    start = datetime.now(UTC)
    course_id = world.course.course_id

    def score(risk: float, at: datetime, *, high_since: datetime | None = None) -> None:
        row = session.get(CompletionRiskScore, enrollment.enrollment_id)
        notified = row.notified_at if row is not None else None
        store_score(
            session, enrollment_id=enrollment.enrollment_id, course_id=course_id, risk=risk, scored_at=at,
            high_since=high_since, notified_at=notified,
        )  # fmt: skip

    score(0.7, start)
    assert notify_new_high_risk(session, now=start).learners_notified == 1
    score(0.4, start + timedelta(days=1))  # leaves the band
    score(0.75, start + timedelta(days=2))  # and comes back within the week: quiet
    assert notify_new_high_risk(session, now=start + timedelta(days=2)).learners_notified == 0
    # Still high a week after the first nudge: the re-entry is told now, once.
    assert notify_new_high_risk(session, now=start + timedelta(days=8)).learners_notified == 1
    assert notify_new_high_risk(session, now=start + timedelta(days=9)).learners_notified == 0
    kinds = [n.kind for n in notifications_of(session, world.learners[0].user_id)]
    assert kinds == ["completion_risk", "completion_risk"]
    assert [n.kind for n in notifications_of(session, world.instructor.user_id)] == ["at_risk_digest"] * 2
