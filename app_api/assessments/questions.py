"""Authoring a course's question bank. Each change writes its event.

Only the course's instructor or an admin authors (``access.course_for_authoring``); edits name the version
they start from (If-Match), and a stale version is a 412, so concurrent editors never overwrite each other.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from app_api.assessments import access
from app_api.assessments.models import AssessmentQuestion, AttemptItem, Question
from app_api.assessments.schemas import (
    ChoiceOptionAuthorRead,
    ChoiceOptionRead,
    QuestionAuthorRead,
    QuestionCreate,
    QuestionLearnerRead,
    QuestionPage,
    QuestionUpdate,
)
from app_api.common.loading import UNCHECKED, IfMatchValue, load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from skillstudio.errors import Conflict, InvalidContent, field_errors
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

_QUESTION_CREATE: TypeAdapter[Any] = TypeAdapter(QuestionCreate)


def _check_skill(session: Session, skill_id: uuid.UUID) -> None:
    if skill_id not in courses.skills_by_id(session, skill_ids=[skill_id]):
        raise InvalidContent.field(
            "body.skill_id", f"Skill {skill_id} does not exist; pick one from GET /api/v1/skills."
        )


def question_author_read(question: Question) -> QuestionAuthorRead:
    key = question.answer_key
    correct = set(key.get("correct_options", ()))
    return QuestionAuthorRead(
        question_id=question.question_id,
        course_id=question.course_id,
        skill_id=question.skill_id,
        question_type=question.question_type,
        prompt=question.prompt,
        options=[
            ChoiceOptionAuthorRead(**option, correct=option["id"] in correct) for option in question.options
        ],
        numeric_answer=key.get("value"),
        tolerance=key.get("tolerance"),
        accepted_answers=key.get("accepted"),
        difficulty=question.difficulty,
        discrimination=question.discrimination,
        version=question.version,
        created_at=question.created_at,
        updated_at=question.updated_at,
    )


def question_learner_read(question: Question) -> QuestionLearnerRead:
    """Built from prompt and options only; the answer key is never read here."""
    return QuestionLearnerRead(
        question_id=question.question_id,
        skill_id=question.skill_id,
        question_type=question.question_type,
        prompt=question.prompt,
        options=[ChoiceOptionRead(id=option["id"], text=option["text"]) for option in question.options],
    )


def _stored_parts(data: Any) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Learner-visible options and the answer key, kept apart, from a validated QuestionCreate."""
    if data.question_type in ("single_choice", "multiple_choice"):
        options = [{"id": option.id, "text": option.text} for option in data.options]
        return options, {"correct_options": [option.id for option in data.options if option.correct]}
    if data.question_type == "numeric":
        return [], {"value": data.numeric_answer, "tolerance": data.tolerance}
    return [], {"accepted": list(data.accepted_answers)}


def create_question(
    session: Session, *, principal: Principal, course_id: uuid.UUID, data: Any
) -> QuestionAuthorRead:
    access.course_for_authoring(session, principal=principal, course_id=course_id)
    _check_skill(session, data.skill_id)
    options, answer_key = _stored_parts(data)
    now = datetime.now(UTC)
    question = Question(
        question_id=uuid.uuid4(),
        course_id=course_id,
        skill_id=data.skill_id,
        question_type=data.question_type,
        prompt=data.prompt,
        options=options,
        answer_key=answer_key,
        difficulty=data.difficulty,
        discrimination=data.discrimination,
        created_by=principal.user_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="created", object_type="question",
        object_id=question.question_id, course_id=course_id,
        extensions={"skill_id": str(data.skill_id), "question_type": data.question_type},
    )  # fmt: skip
    return question_author_read(question)


def _authored_question(
    session: Session,
    principal: Principal,
    question_id: uuid.UUID,
    *,
    lock: bool = False,
    if_match: IfMatchValue = UNCHECKED,
) -> Question:
    def authorise(question: Question) -> None:
        if lock:
            access.course_for_authoring(session, principal=principal, course_id=question.course_id)
        else:
            access.course_for_review(session, principal=principal, course_id=question.course_id)

    return load(
        session,
        Question,
        question_id,
        missing=f"Question {question_id} does not exist.",
        authorise=authorise,
        lock=lock,
        if_match=if_match,
        what="question",
    )


def get_question(session: Session, *, principal: Principal, question_id: uuid.UUID) -> QuestionAuthorRead:
    return question_author_read(_authored_question(session, principal, question_id))


def list_questions(
    session: Session,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    skill_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> QuestionPage:
    access.course_for_review(session, principal=principal, course_id=course_id)
    statement = select(Question).where(Question.course_id == course_id)
    if skill_id is not None:
        statement = statement.where(Question.skill_id == skill_id)
    columns = (Question.created_at, Question.question_id)
    after = parse_cursor(cursor, tag="questions", kinds=(datetime, uuid.UUID))
    rows = session.scalars(keyset(statement, columns=columns, after=after, limit=limit)).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="questions", key_of=lambda q: [q.created_at, q.question_id]
    )
    return QuestionPage(items=[question_author_read(q) for q in items], next_cursor=next_cursor)


def update_question(
    session: Session,
    *,
    principal: Principal,
    question_id: uuid.UUID,
    data: QuestionUpdate,
    if_match: str | None,
) -> QuestionAuthorRead:
    question = _authored_question(session, principal, question_id, lock=True, if_match=if_match)
    current = question_author_read(question)
    merged: dict[str, Any] = {
        "question_type": current.question_type,
        "skill_id": current.skill_id,
        "prompt": current.prompt,
        "difficulty": current.difficulty,
        "discrimination": current.discrimination,
    }
    if current.question_type in ("single_choice", "multiple_choice"):
        merged["options"] = [option.model_dump() for option in current.options]
    elif current.question_type == "numeric":
        merged |= {"numeric_answer": current.numeric_answer, "tolerance": current.tolerance}
    else:
        merged["accepted_answers"] = current.accepted_answers
    changes = data.model_dump(exclude_unset=True)
    not_for_type = sorted(set(changes) - set(merged))
    if not_for_type:
        raise InvalidContent.field(
            f"body.{not_for_type[0]}", f"A {current.question_type} question has no {not_for_type}."
        )
    try:
        valid = _QUESTION_CREATE.validate_python(merged | changes)
    except ValidationError as error:
        raise InvalidContent(
            "The edited question is not valid.", errors=field_errors(error.errors())
        ) from None
    before = _QUESTION_CREATE.validate_python(merged)
    changed = sorted(name for name in changes if getattr(before, name) != getattr(valid, name))
    if not changed:
        return current  # nothing to change: no new version, no event
    if "skill_id" in changed:
        _check_skill(session, valid.skill_id)
    question.options, question.answer_key = _stored_parts(valid)
    question.skill_id, question.prompt = valid.skill_id, valid.prompt
    question.difficulty, question.discrimination = valid.difficulty, valid.discrimination
    question.version += 1
    question.updated_at = datetime.now(UTC)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="updated", object_type="question",
        object_id=question_id, course_id=question.course_id,
        extensions={"fields": changed, "version": question.version},
    )  # fmt: skip
    return question_author_read(question)


def delete_question(
    session: Session, *, principal: Principal, question_id: uuid.UUID, if_match: str | None
) -> None:
    question = _authored_question(session, principal, question_id, lock=True, if_match=if_match)
    if session.scalar(select(exists().where(AttemptItem.question_id == question_id))):
        raise Conflict(
            "Learners have answered this question, and their attempts keep it; remove it from its "
            "assessments (PATCH the assessment's question_ids) instead of deleting it.",
        )
    session.execute(delete(AssessmentQuestion).where(AssessmentQuestion.question_id == question_id))
    session.delete(question)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="deleted", object_type="question",
        object_id=question_id, course_id=question.course_id,
    )  # fmt: skip
