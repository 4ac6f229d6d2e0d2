"""An attempt's skills as IRT item pools: serving the next adaptive question and the final estimates.

The pools are rebuilt from stored rows on every request (the assessment's questions plus whatever the
attempt already served), so an attempt needs no state beyond its ``attempt_items``.

Which skill comes next, and when the attempt stops, is IRT's rule (``irt.next_item``) for every adaptive
attempt. Which question of that skill (issue 11 point 6): a diagnostic measures, so it takes the most
informative item at the current θ; a practice quiz (any other type) takes the unanswered item whose
predicted P(correct) for this learner — from their current mastery (``app_api.mastery``), so it knows
their earlier attempts too — is closest to the target (setting ``mastery_target_p_correct``, default
0.7; a higher target while the learner struggles on the skill, i.e. easier questions).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.assessments import irt
from app_api.assessments.models import (
    Assessment,
    AssessmentAttempt,
    AssessmentQuestion,
    AttemptItem,
    Question,
)
from app_api.mastery import service as mastery

DEFAULT_TARGET_STANDARD_ERROR = 0.5


@dataclass(frozen=True)
class ServedItem:
    item: AttemptItem
    question: Question


def served_items(session: Session, *, attempt_id: uuid.UUID) -> list[ServedItem]:
    rows = session.execute(
        select(AttemptItem, Question)
        .join(Question, Question.question_id == AttemptItem.question_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    ).all()
    return [ServedItem(item, question) for item, question in rows]


def pool_questions(session: Session, *, assessment_id: uuid.UUID) -> list[Question]:
    return list(
        session.scalars(
            select(Question)
            .join(AssessmentQuestion, AssessmentQuestion.question_id == Question.question_id)
            .where(AssessmentQuestion.assessment_id == assessment_id)
            .order_by(AssessmentQuestion.position)
        )
    )


@dataclass
class _SkillBank:
    pool: irt.SkillPool
    question_ids: list[uuid.UUID]


def _banks(pool: Sequence[Question], served: Sequence[ServedItem]) -> dict[uuid.UUID, _SkillBank]:
    """Per skill (in order of first appearance): its questions, with the answered ones administered in the
    order they were answered."""
    questions: dict[uuid.UUID, Question] = {}
    for question in [*pool, *(entry.question for entry in served)]:
        questions.setdefault(question.question_id, question)
    by_skill: dict[uuid.UUID, list[Question]] = {}
    for question in questions.values():
        by_skill.setdefault(question.skill_id, []).append(question)
    banks = {
        skill_id: _SkillBank(
            irt.SkillPool([irt.Item(q.discrimination, q.difficulty) for q in members]),
            [q.question_id for q in members],
        )
        for skill_id, members in by_skill.items()
    }
    answered = sorted(
        (entry for entry in served if entry.item.is_correct is not None),
        key=lambda entry: (entry.item.answered_at or datetime.min.replace(tzinfo=UTC), entry.item.position),
    )
    for entry in answered:
        bank = banks[entry.question.skill_id]
        bank.pool.administered.append(bank.question_ids.index(entry.question.question_id))
        bank.pool.responses.append(bool(entry.item.is_correct))
    return banks


def serve_next(
    session: Session, *, attempt: AssessmentAttempt, assessment: Assessment, now: datetime
) -> uuid.UUID | None:
    """Serve the next adaptive question (stored as an unanswered item); None when the attempt should stop."""
    served = served_items(session, attempt_id=attempt.attempt_id)
    current = [entry for entry in served if entry.item.is_correct is None]
    if current:
        return current[0].question.question_id
    pool = pool_questions(session, assessment_id=assessment.assessment_id)
    banks = _banks(pool, served)
    cap = assessment.max_questions or len(
        {q.question_id for q in pool} | {e.question.question_id for e in served}
    )
    choice = irt.next_item(
        {skill_id: bank.pool for skill_id, bank in banks.items()},
        target_standard_error=assessment.target_standard_error or DEFAULT_TARGET_STANDARD_ERROR,
        max_questions=cap,
    )
    if choice is None:
        return None
    skill_id, index = choice
    if assessment.assessment_type != "diagnostic":
        known = {q.question_id: q for q in [*pool, *(entry.question for entry in served)]}
        index = _closest_to_target(
            session, attempt=attempt, skill_id=skill_id, bank=banks[skill_id], questions=known
        )
    question_id = banks[skill_id].question_ids[index]
    session.add(
        AttemptItem(
            attempt_id=attempt.attempt_id, question_id=question_id, position=len(served) + 1, served_at=now
        )
    )
    session.flush()
    return question_id


def _closest_to_target(
    session: Session,
    *,
    attempt: AssessmentAttempt,
    skill_id: uuid.UUID,
    bank: _SkillBank,
    questions: dict[uuid.UUID, Question],
) -> int:
    """The unanswered question of the skill whose predicted P(correct) is closest to the learner's target."""
    open_indexes = [i for i in range(len(bank.question_ids)) if i not in bank.pool.administered]
    candidates = [questions[bank.question_ids[i]] for i in open_indexes]
    predicted = mastery.predict(
        session,
        learner_id=attempt.user_id,
        items=[mastery.Item(q.skill_id, q.question_id, q.discrimination, q.difficulty) for q in candidates],
    )
    target = mastery.targets(session, learner_id=attempt.user_id, skill_ids=[skill_id])[skill_id]
    # Ties (equal distance) go to the pool's order, so the choice is deterministic.
    best = min(range(len(candidates)), key=lambda n: (abs(predicted[n] - target), n))
    return open_indexes[best]


def skill_estimates(
    session: Session, *, attempt: AssessmentAttempt, assessment: Assessment
) -> dict[uuid.UUID, irt.Estimate]:
    """The ability estimate of every skill the attempt has answers for."""
    served = served_items(session, attempt_id=attempt.attempt_id)
    banks = _banks(pool_questions(session, assessment_id=assessment.assessment_id), served)
    return {skill_id: bank.pool.estimate() for skill_id, bank in banks.items() if bank.pool.administered}
