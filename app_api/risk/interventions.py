"""Interventions: an enrollment that crossed into the high risk band gets an encouraging nudge with its next
concrete step, and each course's instructor a digest of their newly at-risk learners.

Run after each daily scoring (the composition root calls ``notify_new_high_risk`` when the pipeline has
written the scores). An enrollment is told when it is in the high band, entered it after it was last told
(``high_since > notified_at``) and was not told in the last ``QUIET_DAYS`` days: so at most once a week
per enrollment, and only again once it has left the band and come back. Every notification is an event
(``created``, object the notification, with the enrollment as registration) in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.notifications import service as notifications
from app_api.risk.models import CompletionRiskScore
from app_api.risk.service import suggested_actions
from app_api.users import service as users
from skillstudio.events.recording import record_event

QUIET_DAYS = 7


@dataclass(frozen=True)
class InterventionSummary:
    learners_notified: int
    digests: int
    enrollments: list[uuid.UUID]


def _record(
    session: Session,
    *,
    user_id: uuid.UUID,
    notification_id: uuid.UUID,
    extensions: dict[str, Any],
    course_id: uuid.UUID | None = None,
    registration: uuid.UUID | None = None,
) -> None:
    record_event(
        session,
        actor_id=user_id,
        verb="created",
        object_type="notification",
        object_id=notification_id,
        course_id=course_id,
        registration=registration,
        extensions=extensions,
    )


def notify_new_high_risk(session: Session, *, now: datetime) -> InterventionSummary:
    """Tell the learners who newly crossed into the high band and their instructors; never commits."""
    quiet = now - timedelta(days=QUIET_DAYS)
    due = session.scalars(
        select(CompletionRiskScore)
        .where(
            CompletionRiskScore.band == "high",
            CompletionRiskScore.high_since.is_not(None),
            or_(
                CompletionRiskScore.notified_at.is_(None),
                (CompletionRiskScore.notified_at < CompletionRiskScore.high_since)
                & (CompletionRiskScore.notified_at <= quiet),
            ),
        )
        .order_by(CompletionRiskScore.course_id, CompletionRiskScore.risk.desc())
        .with_for_update(skip_locked=True)
    ).all()
    rows = enrollments.enrollment_rows().subquery("enrollment")
    owners: dict[uuid.UUID, uuid.UUID] = dict(
        session.execute(
            select(rows.c.enrollment_id, rows.c.user_id).where(
                rows.c.enrollment_id.in_([score.enrollment_id for score in due]), rows.c.status == "active"
            )
        ).all()
    )
    by_course: dict[uuid.UUID, list[tuple[CompletionRiskScore, uuid.UUID]]] = defaultdict(list)
    told = 0
    for score in due:
        user_id = owners.get(score.enrollment_id)
        if user_id is None:
            continue  # dropped or completed since the scoring: nothing to nudge
        course = courses.course_facts(session, course_id=score.course_id)
        title = course.title if course else "your course"
        actions = suggested_actions(session, score=score, user_id=user_id, now=now)
        step = actions[0].text if actions else "Open the course and take the next lesson."
        notification_id = notifications.notify(
            session,
            user_id=user_id,
            kind=notifications.NotificationKind.COMPLETION_RISK,
            title=f"You can still make it through {title}",
            body=f"Learners who pick up the pace now often finish. Your next step: {step}",
            link=actions[0].link if actions else f"/api/v1/courses/{score.course_id}",
            data={
                "enrollment_id": str(score.enrollment_id),
                "course_id": str(score.course_id),
                "risk": round(score.risk, 4),
                "actions": [action.model_dump() for action in actions],
            },
            # One nudge per entry into the band (a retry of the same run writes nothing twice).
            dedupe_key=f"completion_risk:{score.enrollment_id}:{score.high_since:%Y-%m-%dT%H:%M:%S}",
        )
        score.notified_at = now
        if notification_id is not None:
            told += 1
            _record(
                session,
                user_id=user_id,
                notification_id=notification_id,
                extensions={"kind": "completion_risk", "risk": round(score.risk, 4)},
                course_id=score.course_id,
                registration=score.enrollment_id,
            )
        by_course[score.course_id].append((score, user_id))
    digests = _digests(session, by_course, now)
    session.flush()
    return InterventionSummary(
        learners_notified=told,
        digests=digests,
        enrollments=[score.enrollment_id for scores in by_course.values() for score, _ in scores],
    )


def _digests(
    session: Session,
    by_course: dict[uuid.UUID, list[tuple[CompletionRiskScore, uuid.UUID]]],
    now: datetime,
) -> int:
    """One digest per instructor listing their courses' newly at-risk learners; how many were written."""
    per_instructor: dict[uuid.UUID, list[tuple[str, CompletionRiskScore, uuid.UUID]]] = defaultdict(list)
    for course_id, scores in by_course.items():
        course = courses.course_facts(session, course_id=course_id)
        if course is None or course.instructor_id is None:
            continue
        per_instructor[course.instructor_id].extend((course.title, score, user) for score, user in scores)
    names = users.display_names(
        session, user_ids={user for entries in per_instructor.values() for _, _, user in entries}
    )
    written = 0
    for instructor_id, entries in per_instructor.items():
        lines = [
            f"{names.get(user, 'A learner')} in {title}: {score.risk:.0%} risk"
            + (f" ({score.reasons[0]['text']})" if score.reasons else "")
            for title, score, user in entries
        ]
        enrollment_ids = sorted(str(score.enrollment_id) for _, score, _ in entries)
        entered = sorted(
            f"{score.enrollment_id}@{score.high_since:%Y-%m-%dT%H:%M:%S}" for _, score, _ in entries
        )
        notification_id = notifications.notify(
            session,
            user_id=instructor_id,
            kind=notifications.NotificationKind.AT_RISK_DIGEST,
            title=f"{len(entries)} learner{'s' if len(entries) != 1 else ''} newly at risk",
            body="\n".join(lines),
            link=f"/api/v1/courses/{entries[0][1].course_id}/at-risk",
            data={
                "enrollments": enrollment_ids,
                "courses": sorted({str(score.course_id) for _, score, _ in entries}),
            },
            # The same entries into the band are never digested twice; new ones make a new digest.
            dedupe_key=f"at_risk_digest:{uuid.uuid5(uuid.NAMESPACE_URL, ','.join(entered))}",
        )
        if notification_id is not None:
            written += 1
            _record(
                session,
                user_id=instructor_id,
                notification_id=notification_id,
                extensions={"kind": "at_risk_digest", "enrollments": enrollment_ids},
            )
    return written
