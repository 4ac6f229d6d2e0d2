"""Completion risk as the learning API serves it: one enrollment's risk with reasons and suggested actions,
and a course's learners above a risk threshold, riskiest first.

The scores are the pipeline's daily scoring of every open enrollment (``completion_risk_scores``); this
domain only reads them, decides who may see them and turns reasons into actions. Who may read: an
enrollment's risk its learner, the course's instructor and admins; a course's at-risk list its instructor
and admins. 404 for an unknown enrollment or course (before 403, as the enrollments domain does), 404
too while an enrollment has no score (finished enrollments are not scored).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, Subquery, bindparam, select
from sqlalchemy.orm import Session

from app_api.assessments import service as assessments
from app_api.common.pagination import encode_cursor, parse_cursor
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.progress import service as progress
from app_api.risk.at_risk import page_statement
from app_api.risk.models import CompletionRiskScore
from app_api.risk.schemas import AtRiskLearner, AtRiskPage, EnrollmentRiskRead, RiskReason, SuggestedAction
from skillstudio.errors import Forbidden, InvalidRequest, NotFound
from skillstudio.web.principals import Principal

_AT_RISK = "at-risk"  # the list's cursor tag
_AT_RISK_IS_FOR = "A course's at-risk learners are for its instructor and admins only."
HIGH_RISK = 0.6  # the pipeline's high band (models.completion_risk.scoring.HIGH_RISK)
# Reason features -> what helps, for the learner; the first matching reasons decide the actions.
_INACTIVE = {
    "days_since_last_activity", "events_last_7_days", "events_last_14_days", "active_days",
    "active_days_vs_cohort", "current_streak_days", "longest_streak_days", "event_count", "click_count",
    "clicks_vs_cohort", "lessons_completed", "progress_share", "recent_share", "last_7_days_vs_cohort",
    "last_14_days_vs_cohort",
}  # fmt: skip
_MISSED = {
    "assessments_missed", "missed_share", "assessments_submitted", "assessments_submitted_late",
    "submitted_share", "late_share",
}  # fmt: skip
_SCORES = {"mean_score", "last_score", "score_trend", "weighted_score", "score_vs_cohort"}


@cache
def _enrollment_rows() -> Subquery:
    # Built once: composing another domain's subquery costs ~1 ms of Python per request.
    return enrollments.enrollment_rows().subquery("enrollment")


@cache
def _enrollment_statement() -> Select[Any]:
    rows = _enrollment_rows()
    return select(rows).where(rows.c.enrollment_id == bindparam("enrollment_id"))


def _enrollment(session: Session, enrollment_id: uuid.UUID) -> Any:
    row = session.execute(_enrollment_statement(), {"enrollment_id": enrollment_id}).first()
    if row is None:
        raise NotFound(f"There is no enrollment {enrollment_id}.")
    return row


def _reasons(score: CompletionRiskScore) -> list[RiskReason]:
    return [RiskReason.model_validate(reason) for reason in score.reasons]


def suggested_actions(
    session: Session, *, score: CompletionRiskScore, user_id: uuid.UUID, now: datetime
) -> list[SuggestedAction]:
    """What would help most, from the enrollment's reasons: the next lesson, an assessment due soon,
    revision when scores pull it down; nothing but the next lesson for a low risk."""
    features = {reason["feature"] for reason in score.reasons}
    actions: list[SuggestedAction] = []
    due = assessments.next_due(session, user_id=user_id, course_id=score.course_id, now=now)
    if due is not None and (features & _MISSED or score.band == "high"):
        assessment_id, title, due_at = due
        actions.append(
            SuggestedAction(
                kind="assessment_due",
                text=f"Submit {title!r}, due {due_at:%d %b}.",
                link=f"/api/v1/assessments/{assessment_id}",
            )
        )
    lesson = progress.next_lessons(session, enrollment_ids=[score.enrollment_id]).get(score.enrollment_id)
    if lesson is not None:
        lesson_id, title = lesson
        kind = "resume_activity" if features & _INACTIVE else "next_lesson"
        verb = "Pick up where you left off" if kind == "resume_activity" else "Continue"
        actions.append(
            SuggestedAction(
                kind=kind,
                text=f"{verb}: {title!r}.",
                link=f"/api/v1/lessons/{lesson_id}",
            )
        )
    if features & _SCORES and score.band != "low":
        actions.append(
            SuggestedAction(kind="revise", text="Revise the topics of your lowest-scored assessment.")
        )
    if score.band == "high":
        actions.append(
            SuggestedAction(kind="reach_out", text="Ask your instructor or the course forum for help.")
        )
    return actions


def enrollment_risk(*, session: Session, viewer: Principal, enrollment_id: uuid.UUID) -> EnrollmentRiskRead:
    enrollment = _enrollment(session, enrollment_id)
    course = courses.course_facts(session, course_id=enrollment.course_id)
    instructs = course is not None and course.instructor_id == viewer.user_id
    if not (viewer.can_act_for(enrollment.user_id) or instructs):
        raise Forbidden("An enrollment's risk is for its learner, the course's instructor and admins.")
    score = session.get(CompletionRiskScore, enrollment_id)
    if score is None:
        raise NotFound(
            f"Enrollment {enrollment_id} has no completion-risk score: only open enrollments are scored, "
            "once a day, from the first grid day of their course run."
        )
    return EnrollmentRiskRead(
        enrollment_id=score.enrollment_id,
        user_id=enrollment.user_id,
        course_id=score.course_id,
        probability=score.probability,
        risk=score.risk,
        band=score.band,
        reasons=_reasons(score),
        suggested_actions=suggested_actions(
            session, score=score, user_id=enrollment.user_id, now=datetime.now(UTC)
        ),
        day_k=score.day_k,
        model_version=score.model_version,
        scored_at=score.scored_at,
    )


def at_risk_json(
    *,
    session: Session,
    viewer: Principal,
    course_id: uuid.UUID,
    min_risk: float,
    cursor: str | None,
    limit: int,
) -> str:
    """The course's scored enrollments with ``risk >= min_risk``, riskiest first (ties by enrollment id), as
    the JSON document of an ``AtRiskPage``: the page is built by PostgreSQL in one statement (``at_risk``
    module), for the route to send as it is."""
    try:
        after = parse_cursor(cursor, tag=_AT_RISK, kinds=(float, uuid.UUID))
    except InvalidRequest:
        _check_at_risk_access(session, viewer, course_id)  # 404 and 403 before a bad cursor's 400
        raise
    row = session.execute(
        page_statement(after=after is not None),
        {
            "course_id": course_id,
            "viewer_id": viewer.user_id,
            "is_admin": viewer.is_admin,
            "min_risk": min_risk,
            "limit": limit,
            "after_risk": None if after is None else after[0],
            "after_id": None if after is None else after[1],
        },
    ).one()
    if not row.found:
        raise NotFound(f"There is no course {course_id}.")
    if not row.allowed:
        raise Forbidden(_AT_RISK_IS_FOR)
    next_cursor = encode_cursor([_AT_RISK, row.last_risk, row.last_id]) if row.more else None
    return (
        f'{{"items":{row.items},"next_cursor":{json.dumps(next_cursor)},"course_id":"{course_id}",'
        f'"min_risk":{json.dumps(min_risk)}}}'
    )


def at_risk(
    *,
    session: Session,
    viewer: Principal,
    course_id: uuid.UUID,
    min_risk: float,
    cursor: str | None,
    limit: int,
) -> AtRiskPage:
    """``at_risk_json``'s page as a model, for the web pages."""
    return AtRiskPage.model_validate_json(
        at_risk_json(
            session=session, viewer=viewer, course_id=course_id, min_risk=min_risk, cursor=cursor, limit=limit
        )
    )


def _check_at_risk_access(session: Session, viewer: Principal, course_id: uuid.UUID) -> None:
    course = courses.course_facts(session, course_id=course_id)
    if course is None:
        raise NotFound(f"There is no course {course_id}.")
    if not (viewer.is_admin or course.instructor_id == viewer.user_id):
        raise Forbidden(_AT_RISK_IS_FOR)


def learner_risks(*, session: Session, viewer: Principal, user_id: uuid.UUID) -> list[AtRiskLearner]:
    """The learner's scored (open) enrollments, riskiest first, in one query: for the learner and admins."""
    if not viewer.can_act_for(user_id):
        raise Forbidden("A learner's completion risk is for them and admins only.")
    rows = _enrollment_rows()
    found = session.scalars(
        select(CompletionRiskScore)
        .join(rows, rows.c.enrollment_id == CompletionRiskScore.enrollment_id)
        .where(rows.c.user_id == user_id)
        .order_by(CompletionRiskScore.risk.desc(), CompletionRiskScore.enrollment_id)
    ).all()
    return [
        AtRiskLearner(
            enrollment_id=score.enrollment_id,
            user_id=user_id,
            display_name=None,
            probability=score.probability,
            risk=score.risk,
            band=score.band,
            reasons=_reasons(score),
            day_k=score.day_k,
            scored_at=score.scored_at,
        )
        for score in found
    ]
