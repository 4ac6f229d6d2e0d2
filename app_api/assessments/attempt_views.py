"""Building attempt responses. Correctness and answer keys are read only for graded attempts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.assessments.adaptive import ServedItem, served_items
from app_api.assessments.attempt_schemas import (
    AttemptQuestionRead,
    AttemptRead,
    AttemptResultRead,
    AttemptSummaryRead,
    CorrectAnswerRead,
    ItemResultRead,
    SkillEstimateRead,
)
from app_api.assessments.models import Assessment, AssessmentAttempt, AttemptSkillEstimate, Question
from app_api.assessments.questions import question_learner_read


def _saved(entry: ServedItem) -> Any:
    return None if entry.item.response is None else entry.item.response["value"]


def correct_answer(question: Question) -> CorrectAnswerRead:
    key = question.answer_key
    return CorrectAnswerRead(
        options=key.get("correct_options"),
        value=key.get("value"),
        tolerance=key.get("tolerance"),
        accepted=key.get("accepted"),
    )


def _result(
    session: Session, attempt: AssessmentAttempt, assessment: Assessment, served: list[ServedItem]
) -> AttemptResultRead | None:
    if attempt.status != "graded" or attempt.score_scaled is None:
        return None
    estimates = session.scalars(
        select(AttemptSkillEstimate).where(AttemptSkillEstimate.attempt_id == attempt.attempt_id)
    )
    items = [
        ItemResultRead(
            question_id=entry.question.question_id,
            position=entry.item.position,
            response=_saved(entry),
            is_correct=bool(entry.item.is_correct),
            correct_answer=correct_answer(entry.question) if assessment.reveal_answers else None,
        )
        for entry in served
    ]
    return AttemptResultRead(
        score_scaled=attempt.score_scaled,
        success=attempt.success,
        correct=sum(item.is_correct for item in items),
        total=len(items),
        items=items,
        skill_estimates=[
            SkillEstimateRead(
                skill_id=row.skill_id,
                theta=row.theta,
                standard_error=row.standard_error,
                level=row.level,
                level_standard_error=row.level_standard_error,
                answered=row.answered,
            )
            for row in estimates
        ],
    )


def attempt_read(session: Session, *, attempt: AssessmentAttempt, assessment: Assessment) -> AttemptRead:
    served = served_items(session, attempt_id=attempt.attempt_id)
    current = [entry.question.question_id for entry in served if entry.item.is_correct is None]
    in_progress = attempt.status == "in_progress"
    return AttemptRead(
        attempt_id=attempt.attempt_id,
        assessment_id=attempt.assessment_id,
        user_id=attempt.user_id,
        attempt_number=attempt.attempt_number,
        status=attempt.status,
        adaptive=attempt.adaptive,
        started_at=attempt.started_at,
        expires_at=attempt.expires_at,
        submitted_at=attempt.submitted_at,
        submitted_late=attempt.submitted_late,
        questions=[
            AttemptQuestionRead(
                **question_learner_read(entry.question).model_dump(),
                position=entry.item.position,
                response=_saved(entry),
            )
            for entry in served
        ],
        next_question_id=current[0] if attempt.adaptive and in_progress and current else None,
        finished=attempt.adaptive and in_progress and not current,
        result=_result(session, attempt, assessment, served),
    )


def attempt_summary(attempt: AssessmentAttempt) -> AttemptSummaryRead:
    return AttemptSummaryRead(
        attempt_id=attempt.attempt_id,
        assessment_id=attempt.assessment_id,
        user_id=attempt.user_id,
        attempt_number=attempt.attempt_number,
        status=attempt.status,
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        score_scaled=attempt.score_scaled,
        submitted_late=attempt.submitted_late,
    )
