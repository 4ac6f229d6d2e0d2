"""Taking an assessment: start, answer, submit; graded on the server, every change with its event.

Rules a successor must keep:

- Only published assessments of published courses can be started. Graded course work (quiz, tma, cma,
  exam) needs an active or completed enrollment in the course (the event's registration); diagnostics are
  open to anyone who can see them (placement before enrolling).
- Attempt limit: starting attempt ``max_attempts + 1`` is a 409. One attempt at a time: starting while one
  is in progress is a 409 naming it, unless its time is up, in which case it is closed first (graded late).
- Time limit: ``expires_at`` is fixed at the start (+5 s grace for the network). After it, saving an
  answer is refused (409); submitting is accepted and grades only the answers saved in time (answers sent
  with the late submission are ignored), with ``submitted_late`` set. Unanswered questions count as wrong.
- Fixed attempts serve all questions at the start, and answers may be changed until submission. Adaptive
  attempts serve one question at a time (``adaptive.serve_next``); their answers are final. An answer sent
  again as it is saved (a retry) changes nothing: no write, no event, no second mastery update.
- Diagnostic attempts write each answered skill's level (1-10) and its standard error to
  ``learner_skill_levels`` (source 'diagnostic'), replacing the previous level whatever its source, and
  seed the learner's mastery of those skills with the same estimate.
- Every saved answer updates the learner's mastery of the question's skill (``app_api.mastery``) in the
  same transaction, before the next adaptive question is chosen; the ``answered`` event carries the change.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app_api.assessments import access, adaptive, grading, irt
from app_api.assessments.attempt_schemas import AnswerItem, AttemptPage, AttemptRead
from app_api.assessments.attempt_views import attempt_read, attempt_summary
from app_api.assessments.models import (
    Assessment,
    AssessmentAttempt,
    AttemptItem,
    AttemptSkillEstimate,
    Question,
)
from app_api.assessments.service import visible_assessment
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.mastery import service as mastery
from app_api.users import service as users
from skillstudio.errors import Conflict, Forbidden, InvalidContent, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

GRACE = timedelta(seconds=5)
GRADED_COURSE_WORK = ("quiz", "tma", "cma", "exam")


def _expired(attempt: AssessmentAttempt, now: datetime) -> bool:
    return attempt.expires_at is not None and now > attempt.expires_at + GRACE


def _context(attempt: AssessmentAttempt, assessment: Assessment) -> dict[str, Any]:
    """Event fields shared by every event of an attempt."""
    return {
        "course_id": assessment.course_id,
        "registration": attempt.enrollment_id,
        "attempt": attempt.attempt_number,
    }


def start_attempt(session: Session, *, principal: Principal, assessment_id: uuid.UUID) -> AttemptRead:
    assessment, course = visible_assessment(session, principal=principal, assessment_id=assessment_id)
    if assessment.status != "published" or course.status != "published":
        raise Conflict("Only published assessments of published courses can be attempted; publish it first.")
    enrollment_id = enrollments.active_enrollment_id(
        session, user_id=principal.user_id, course_id=course.course_id
    )
    if assessment.assessment_type in GRADED_COURSE_WORK and enrollment_id is None:
        raise Forbidden(
            f"Enroll in course {course.course_id} before attempting its {assessment.assessment_type}."
        )
    pool = adaptive.pool_questions(session, assessment_id=assessment_id)
    if not pool:
        raise Conflict("This assessment has no questions yet.")
    now = datetime.now(UTC)
    previous = list(
        session.scalars(
            select(AssessmentAttempt)
            .where(
                AssessmentAttempt.assessment_id == assessment_id,
                AssessmentAttempt.user_id == principal.user_id,
            )
            .order_by(AssessmentAttempt.attempt_number)
            .with_for_update()
        )
    )
    for running in (attempt for attempt in previous if attempt.status == "in_progress"):
        if not _expired(running, now):
            raise Conflict(
                "You have an attempt in progress; answer and submit it first.",
                attempt_id=str(running.attempt_id),
            )
        _grade(session, attempt=running, assessment=assessment, now=now, late=True)
    if assessment.max_attempts is not None and len(previous) >= assessment.max_attempts:
        raise Conflict(f"You have used all {assessment.max_attempts} attempts at this assessment.")
    attempt = AssessmentAttempt(
        attempt_id=uuid.uuid4(),
        assessment_id=assessment_id,
        user_id=principal.user_id,
        enrollment_id=enrollment_id,
        attempt_number=max((a.attempt_number for a in previous), default=0) + 1,
        status="in_progress",
        started_at=now,
        expires_at=now + timedelta(seconds=assessment.time_limit_s) if assessment.time_limit_s else None,
        adaptive=assessment.selection == "adaptive",
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError as error:
        raise Conflict("Another attempt was started at the same moment; reload your attempts.") from error
    first: uuid.UUID | None = None
    if attempt.adaptive:
        first = adaptive.serve_next(session, attempt=attempt, assessment=assessment, now=now)
    else:
        session.add_all(
            AttemptItem(attempt_id=attempt.attempt_id, question_id=q.question_id, position=n, served_at=now)
            for n, q in enumerate(pool, start=1)
        )
        session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="attempted", object_type="assessment",
        object_id=assessment_id, occurred_at=now, **_context(attempt, assessment),
        extensions={"attempt_id": str(attempt.attempt_id), "adaptive": attempt.adaptive,
                    **({"question_id": str(first)} if first else {})},
    )  # fmt: skip
    return attempt_read(session, attempt=attempt, assessment=assessment)


def _own_attempt(
    session: Session, principal: Principal, attempt_id: uuid.UUID
) -> tuple[AssessmentAttempt, Assessment]:
    """The caller's in-progress attempt, locked."""
    attempt = session.scalars(
        select(AssessmentAttempt).where(AssessmentAttempt.attempt_id == attempt_id).with_for_update()
    ).first()
    if attempt is None:
        raise NotFound(f"Attempt {attempt_id} does not exist.")
    if attempt.user_id != principal.user_id:
        raise Forbidden("Only the learner who started this attempt can answer or submit it.")
    if attempt.status != "in_progress":
        raise Conflict("This attempt has already been submitted; start a new one to try again.")
    assessment = session.get_one(Assessment, attempt.assessment_id)
    return attempt, assessment


# The answered question, and with it (when answers update mastery) the learner's stored mastery of its
# skill: one statement instead of two on every answer (the mastery domain's fragment locks the state).
_QUESTION = select(Question).where(Question.question_id == bindparam("question_id"))
_QUESTION_AND_MASTERY = mastery.with_stored_mastery(
    _QUESTION, learner_id=bindparam("learner_id"), skill_id=Question.skill_id
)


def _question_and_mastery(
    session: Session, *, question_id: uuid.UUID, learner_id: uuid.UUID
) -> tuple[Question, mastery.StoredMastery | None]:
    """The question, and the learner's stored mastery of its skill (None when answers do not update it)."""
    if not mastery.online():
        return session.execute(_QUESTION, {"question_id": question_id}).scalar_one(), None
    row = session.execute(_QUESTION_AND_MASTERY, {"question_id": question_id, "learner_id": learner_id}).one()
    return row[0], mastery.StoredMastery(*row[1:])


def _save_answer(
    session: Session,
    *,
    attempt: AssessmentAttempt,
    assessment: Assessment,
    question_id: uuid.UUID,
    response: Any,
    now: datetime,
) -> None:
    item = session.get(AttemptItem, (attempt.attempt_id, question_id))
    if item is None:
        raise Conflict(f"Question {question_id} is not one this attempt has served.")
    if attempt.adaptive and item.is_correct is not None:
        raise Conflict("Answers in an adaptive attempt are final; answer the next question.")
    question, stored = _question_and_mastery(session, question_id=question_id, learner_id=attempt.user_id)
    try:
        value = grading.check_response(question.question_type, [o["id"] for o in question.options], response)
    except grading.ResponseError as error:
        raise InvalidContent(
            str(error), errors=[{"field": "body.response", "message": str(error), "type": "value_error"}]
        ) from error
    if item.is_correct is not None and item.response == {"value": value}:
        return  # the answer as saved, sent again (a retry): nothing changes, so nothing is recorded
    correct = grading.is_correct(question.question_type, question.answer_key, value)
    item.response, item.is_correct, item.answered_at = {"value": value}, correct, now
    session.flush()
    # Before the next question is chosen, so that the choice sees this answer.
    change = (
        None
        if stored is None
        else mastery.record_answer(
            session,
            learner_id=attempt.user_id,
            answer=mastery.Answer(
                skill_id=question.skill_id, question_id=question_id, correct=correct,
                discrimination=question.discrimination, difficulty=question.difficulty,
            ),
            stored=stored,
            now=now,
        )
    )  # fmt: skip
    if change is not None and change.struggling_started:
        _announce_struggling(
            session, attempt=attempt, assessment=assessment, question=question, change=change, now=now
        )
    next_id = (
        adaptive.serve_next(session, attempt=attempt, assessment=assessment, now=now)
        if attempt.adaptive
        else None
    )
    record_event(
        session, actor_id=attempt.user_id, verb="answered", object_type="question", object_id=question_id,
        occurred_at=now, success=correct, response=grading.response_text(question.question_type, value),
        **_context(attempt, assessment),
        extensions={"attempt_id": str(attempt.attempt_id), "assessment_id": str(assessment.assessment_id),
                    "skill_id": str(question.skill_id),
                    **({"mastery": change.extension()} if change else {}),
                    **({"next_question_id": str(next_id)} if next_id else {})},
    )  # fmt: skip


def _announce_struggling(
    session: Session,
    *,
    attempt: AssessmentAttempt,
    assessment: Assessment,
    question: Question,
    change: mastery.MasteryChange,
    now: datetime,
) -> None:
    """The learner started struggling on the question's skill: revision questions (this domain's: the
    skill's questions in the course being taken, which the learner can see, easiest first) go with the
    notification the mastery domain writes."""
    revision = session.execute(
        select(Question.question_id, Question.prompt, Question.difficulty)
        .where(Question.skill_id == question.skill_id, Question.course_id == assessment.course_id)
        .order_by(Question.difficulty, Question.question_id)
        .limit(5)
    ).all()
    skill = courses.skills_by_id(session, skill_ids=[question.skill_id])[question.skill_id]
    mastery.announce_struggling(
        session,
        learner_id=attempt.user_id,
        change=change,
        skill_name=skill.name,
        questions=[mastery.RevisionQuestion(*row) for row in revision],
        course_id=assessment.course_id,
        now=now,
    )


def answer(
    session: Session, *, principal: Principal, attempt_id: uuid.UUID, question_id: uuid.UUID, response: Any
) -> AttemptRead:
    attempt, assessment = _own_attempt(session, principal, attempt_id)
    now = datetime.now(UTC)
    if _expired(attempt, now):
        raise Conflict("Time is up for this attempt; submit it to have the answers saved in time graded.",
            expired_at=attempt.expires_at.isoformat() if attempt.expires_at else None,
        )  # fmt: skip
    _save_answer(
        session, attempt=attempt, assessment=assessment, question_id=question_id, response=response, now=now
    )
    return attempt_read(session, attempt=attempt, assessment=assessment)


def submit(
    session: Session, *, principal: Principal, attempt_id: uuid.UUID, answers: list[AnswerItem]
) -> AttemptRead:
    attempt, assessment = _own_attempt(session, principal, attempt_id)
    now = datetime.now(UTC)
    late = _expired(attempt, now)
    if not late:
        for entry in answers:
            _save_answer(
                session, attempt=attempt, assessment=assessment, question_id=entry.question_id,
                response=entry.response, now=now,
            )  # fmt: skip
    _grade(session, attempt=attempt, assessment=assessment, now=now, late=late)
    return attempt_read(session, attempt=attempt, assessment=assessment)


def _grade(
    session: Session, *, attempt: AssessmentAttempt, assessment: Assessment, now: datetime, late: bool
) -> None:
    """Close the attempt: score, skill estimates (and profile levels for diagnostics), completion event."""
    served = adaptive.served_items(session, attempt_id=attempt.attempt_id)
    answered = [entry for entry in served if entry.item.is_correct is not None]
    # An adaptive question served but never answered (submitted early) counts like an unanswered fixed one.
    correct = sum(bool(entry.item.is_correct) for entry in served)
    score = correct / len(served) if served else 0.0
    success = None if assessment.pass_threshold is None else score >= assessment.pass_threshold
    attempt.status, attempt.submitted_at, attempt.submitted_late = "graded", now, late
    attempt.score_scaled, attempt.success = score, success
    if answered and (attempt.adaptive or assessment.assessment_type == "diagnostic"):
        estimates = adaptive.skill_estimates(session, attempt=attempt, assessment=assessment)
        for skill_id, estimate in estimates.items():
            session.add(
                AttemptSkillEstimate(
                    attempt_id=attempt.attempt_id, skill_id=skill_id, theta=estimate.theta,
                    standard_error=estimate.standard_error, level=estimate.level,
                    level_standard_error=estimate.level_standard_error, answered=estimate.answered,
                )
            )  # fmt: skip
        if assessment.assessment_type == "diagnostic":
            _write_levels(session, attempt=attempt, assessment=assessment, estimates=estimates, now=now)
            mastery.seed_from_diagnostic(
                session,
                learner_id=attempt.user_id,
                estimates=[
                    mastery.DiagnosticEstimate(skill_id, e.theta, e.standard_error, e.answered)
                    for skill_id, e in estimates.items()
                ],
                now=now,
            )
    session.flush()
    verb = "completed" if success is None else ("passed" if success else "failed")
    record_event(
        session, actor_id=attempt.user_id, verb=verb, object_type="assessment",
        object_id=assessment.assessment_id, occurred_at=now, score_scaled=score, success=success,
        completion=True, duration_s=(now - attempt.started_at).total_seconds(),
        **_context(attempt, assessment),
        extensions={"attempt_id": str(attempt.attempt_id), "late": late, "correct": correct,
                    "total": len(served)},
    )  # fmt: skip


def _write_levels(
    session: Session,
    *,
    attempt: AssessmentAttempt,
    assessment: Assessment,
    estimates: dict[uuid.UUID, irt.Estimate],
    now: datetime,
) -> None:
    """Write the levels through the accounts domain (which keeps the source rules) and one ``updated
    profile`` event shaped like the accounts domain's own."""
    written = users.write_skill_levels(
        session=session,
        learner_id=attempt.user_id,
        levels=[
            users.SkillLevelWrite(
                skill_id=skill_id,
                level=round(estimate.level, 2),
                standard_error=round(estimate.level_standard_error, 2),
            )
            for skill_id, estimate in estimates.items()
        ],
        source="diagnostic",
        now=now,
    )
    if not written:
        return
    changes = [
        {"skill_id": str(change.skill_id), "level": change.level, "previous_level": change.previous_level,
         "previous_source": change.previous_source, "source": "diagnostic",
         "standard_error": round(estimates[change.skill_id].level_standard_error, 2)}
        for change in written
    ]  # fmt: skip
    record_event(
        session, actor_id=attempt.user_id, verb="updated", object_type="profile", object_id=attempt.user_id,
        occurred_at=now, course_id=assessment.course_id, registration=attempt.enrollment_id,
        attempt=attempt.attempt_number,
        extensions={"target_user_id": str(attempt.user_id), "changes": {"skill_levels": changes},
                    "attempt_id": str(attempt.attempt_id), "assessment_id": str(assessment.assessment_id)},
    )  # fmt: skip


def get_attempt(session: Session, *, principal: Principal, attempt_id: uuid.UUID) -> AttemptRead:
    attempt = session.get(AssessmentAttempt, attempt_id)
    if attempt is None:
        raise NotFound(f"Attempt {attempt_id} does not exist.")
    assessment = session.get_one(Assessment, attempt.assessment_id)
    if not principal.can_act_for(attempt.user_id) and not access.can_author(
        principal, access.get_course(session, course_id=assessment.course_id)
    ):
        raise Forbidden("This attempt belongs to another learner.")
    return attempt_read(session, attempt=attempt, assessment=assessment)


def list_attempts(
    session: Session,
    *,
    principal: Principal,
    assessment_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    cursor: str | None,
    limit: int,
) -> AttemptPage:
    """Newest first. Learners see their own attempts; an assessment's authors and admins see everyone's."""
    statement = select(AssessmentAttempt)
    sees_everyone = principal.is_admin
    if assessment_id is not None:
        _, course = visible_assessment(session, principal=principal, assessment_id=assessment_id)
        statement = statement.where(AssessmentAttempt.assessment_id == assessment_id)
        sees_everyone = access.can_author(principal, course)
    if not sees_everyone:
        if user_id is not None and user_id != principal.user_id:
            raise Forbidden("You can only list your own attempts.")
        user_id = principal.user_id
    if user_id is not None:
        statement = statement.where(AssessmentAttempt.user_id == user_id)
    columns = (AssessmentAttempt.started_at, AssessmentAttempt.attempt_id)
    after = parse_cursor(cursor, tag="attempts", kinds=(datetime, uuid.UUID))
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="attempts", key_of=lambda row: [row.started_at, row.attempt_id]
    )
    return AttemptPage(items=[attempt_summary(row) for row in items], next_cursor=next_cursor)
