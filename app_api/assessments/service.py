"""Assessments of a course: authoring (instructor of the course, admins) and reading (anyone who can see it).

Learners see an assessment when it and its course are published; to anyone else an unpublished one does
not exist (404). Edits carry the version they start from (If-Match); each change writes its event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from app_api.assessments import access
from app_api.assessments.models import Assessment, AssessmentAttempt, AssessmentQuestion, Question
from app_api.assessments.questions import question_author_read
from app_api.assessments.schemas import (
    AssessmentAuthorRead,
    AssessmentCreate,
    AssessmentPage,
    AssessmentRead,
    AssessmentUpdate,
    QuestionAuthorRead,
)
from app_api.common.etags import check_if_match, etag
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from skillstudio.errors import Conflict, InvalidContent, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def question_ids(session: Session, *, assessment_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(AssessmentQuestion.question_id)
            .where(AssessmentQuestion.assessment_id == assessment_id)
            .order_by(AssessmentQuestion.position)
        )
    )


def _read(session: Session, assessment: Assessment) -> AssessmentRead:
    count = session.scalar(
        select(func.count())
        .select_from(AssessmentQuestion)
        .where(AssessmentQuestion.assessment_id == assessment.assessment_id)
    )
    return AssessmentRead.model_validate(
        {name: getattr(assessment, name) for name in AssessmentRead.model_fields if name != "question_count"}
        | {"question_count": count or 0}
    )


def _author_read(session: Session, assessment: Assessment) -> AssessmentAuthorRead:
    return AssessmentAuthorRead(
        **_read(session, assessment).model_dump(),
        question_ids=question_ids(session, assessment_id=assessment.assessment_id),
    )


def _set_questions(session: Session, assessment: Assessment, ids: list[uuid.UUID]) -> None:
    if len(set(ids)) != len(ids):
        raise InvalidContent(
            "question_ids lists a question twice.",
            errors=[{"field": "body.question_ids", "message": "duplicate ids", "type": "value_error"}],
        )
    found = set(
        session.scalars(
            select(Question.question_id).where(
                Question.question_id.in_(ids), Question.course_id == assessment.course_id
            )
        )
    )
    missing = [str(question_id) for question_id in ids if question_id not in found]
    if missing:
        message = f"These questions are not in this course's bank: {missing}."
        raise InvalidContent(
            message, errors=[{"field": "body.question_ids", "message": message, "type": "value_error"}]
        )
    session.execute(
        delete(AssessmentQuestion).where(AssessmentQuestion.assessment_id == assessment.assessment_id)
    )
    session.add_all(
        AssessmentQuestion(assessment_id=assessment.assessment_id, question_id=question_id, position=position)
        for position, question_id in enumerate(ids, start=1)
    )
    session.flush()


def create_assessment(
    session: Session, *, principal: Principal, course_id: uuid.UUID, data: AssessmentCreate
) -> AssessmentAuthorRead:
    access.course_for_authoring(session, principal=principal, course_id=course_id)
    now = datetime.now(UTC)
    assessment = Assessment(
        assessment_id=uuid.uuid4(),
        course_id=course_id,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
        version=1,
        **data.model_dump(exclude={"question_ids"}),
    )
    session.add(assessment)
    session.flush()
    _set_questions(session, assessment, data.question_ids)
    record_event(
        session, actor_id=principal.user_id, verb="created", object_type="assessment",
        object_id=assessment.assessment_id, course_id=course_id,
        extensions={"assessment_type": data.assessment_type, "selection": data.selection,
                    "question_count": len(data.question_ids), "status": data.status},
    )  # fmt: skip
    return _author_read(session, assessment)


def visible_assessment(
    session: Session, *, principal: Principal, assessment_id: uuid.UUID, lock: bool = False
) -> tuple[Assessment, courses.CourseFacts]:
    """The assessment and its course if the caller may see it; 404 otherwise (drafts stay hidden)."""
    statement = select(Assessment).where(Assessment.assessment_id == assessment_id)
    assessment = session.scalars(statement.with_for_update() if lock else statement).first()
    missing = NotFound(f"There is no assessment {assessment_id} that you can see.")
    if assessment is None:
        raise missing
    try:
        course = courses.visible_course(session=session, viewer=principal, course_id=assessment.course_id)
    except NotFound as error:
        raise missing from error
    if assessment.status != "published" and not access.can_author(principal, course):
        raise missing
    return assessment, course


def _authored(session: Session, principal: Principal, assessment_id: uuid.UUID) -> Assessment:
    assessment, _ = visible_assessment(session, principal=principal, assessment_id=assessment_id, lock=True)
    access.course_for_authoring(session, principal=principal, course_id=assessment.course_id)
    return assessment


def get_assessment(session: Session, *, principal: Principal, assessment_id: uuid.UUID) -> AssessmentRead:
    return _read(session, visible_assessment(session, principal=principal, assessment_id=assessment_id)[0])


def list_assessments(
    session: Session, *, principal: Principal, course_id: uuid.UUID, cursor: str | None, limit: int
) -> AssessmentPage:
    course = courses.visible_course(session=session, viewer=principal, course_id=course_id)
    statement = select(Assessment).where(Assessment.course_id == course_id)
    if not access.can_author(principal, course):
        statement = statement.where(Assessment.status == "published")
    columns = (Assessment.created_at, Assessment.assessment_id)
    after = parse_cursor(cursor, tag="assessments", kinds=(datetime, uuid.UUID))
    rows = session.scalars(keyset(statement, columns=columns, after=after, limit=limit)).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="assessments", key_of=lambda row: [row.created_at, row.assessment_id]
    )
    return AssessmentPage(items=[_read(session, row) for row in items], next_cursor=next_cursor)


def authored_questions(
    session: Session, *, principal: Principal, assessment_id: uuid.UUID
) -> list[QuestionAuthorRead]:
    assessment, course = visible_assessment(session, principal=principal, assessment_id=assessment_id)
    access.require_author(principal, course)
    rows = session.scalars(
        select(Question)
        .join(AssessmentQuestion, AssessmentQuestion.question_id == Question.question_id)
        .where(AssessmentQuestion.assessment_id == assessment.assessment_id)
        .order_by(AssessmentQuestion.position)
    )
    return [question_author_read(question) for question in rows]


def update_assessment(
    session: Session,
    *,
    principal: Principal,
    assessment_id: uuid.UUID,
    data: AssessmentUpdate,
    if_match: str | None,
) -> AssessmentAuthorRead:
    assessment = _authored(session, principal, assessment_id)
    check_if_match(if_match, current=etag(assessment_id, assessment.version), what="assessment")
    current = _author_read(session, assessment)
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if getattr(current, name) != value
    }
    if not changes:
        return current  # nothing to change: no new version, no event
    if "question_ids" in changes:
        _set_questions(session, assessment, data.question_ids or [])
    for name, value in changes.items():
        if name != "question_ids":
            setattr(assessment, name, value)
    assessment.version += 1
    assessment.updated_at = datetime.now(UTC)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="updated", object_type="assessment",
        object_id=assessment_id, course_id=assessment.course_id,
        extensions={"fields": sorted(changes), "version": assessment.version},
    )  # fmt: skip
    return _author_read(session, assessment)


def delete_assessment(
    session: Session, *, principal: Principal, assessment_id: uuid.UUID, if_match: str | None
) -> None:
    assessment = _authored(session, principal, assessment_id)
    check_if_match(if_match, current=etag(assessment_id, assessment.version), what="assessment")
    if session.scalar(select(exists().where(AssessmentAttempt.assessment_id == assessment_id))):
        raise Conflict(
            "Learners have attempted this assessment and their attempts keep it; archive it instead "
            '(PATCH with {"status": "archived"}).',
        )
    course_id = assessment.course_id
    session.delete(assessment)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="deleted", object_type="assessment",
        object_id=assessment_id, course_id=course_id,
    )  # fmt: skip


@dataclass(frozen=True)
class QuizOutline:
    """A published assessment of a course as a next-step planner sees it, for one learner."""

    assessment_id: uuid.UUID
    title: str
    skill_ids: frozenset[uuid.UUID]
    done: bool  # the learner has a graded attempt that did not fail


def course_quizzes(session: Session, *, course_id: uuid.UUID, user_id: uuid.UUID) -> list[QuizOutline]:
    """The course's published assessments (diagnostics aside), by due date then creation, with the skills of
    their questions and whether ``user_id`` has passed them (graded, ``success`` not false)."""
    assessments = session.scalars(
        select(Assessment)
        .where(
            Assessment.course_id == course_id,
            Assessment.status == "published",
            Assessment.assessment_type != "diagnostic",
        )
        .order_by(Assessment.due_at.asc().nulls_last(), Assessment.created_at, Assessment.assessment_id)
    ).all()
    ids = [assessment.assessment_id for assessment in assessments]
    skills: dict[uuid.UUID, set[uuid.UUID]] = {assessment_id: set() for assessment_id in ids}
    for assessment_id, skill_id in session.execute(
        select(AssessmentQuestion.assessment_id, Question.skill_id)
        .join(Question, Question.question_id == AssessmentQuestion.question_id)
        .where(AssessmentQuestion.assessment_id.in_(ids))
    ):
        skills[assessment_id].add(skill_id)
    done = set(
        session.scalars(
            select(AssessmentAttempt.assessment_id).where(
                AssessmentAttempt.assessment_id.in_(ids),
                AssessmentAttempt.user_id == user_id,
                AssessmentAttempt.status == "graded",
                AssessmentAttempt.success.is_not(False),
            )
        )
    )
    return [
        QuizOutline(a.assessment_id, a.title, frozenset(skills[a.assessment_id]), a.assessment_id in done)
        for a in assessments
    ]


def next_due(
    session: Session, *, user_id: uuid.UUID, course_id: uuid.UUID, now: datetime
) -> tuple[uuid.UUID, str, datetime] | None:
    """The learner's next published assessment of the course due from ``now`` on that they have not
    submitted: ``(assessment_id, title, due_at)``, the earliest due first. For the completion-risk nudges."""
    keys = {"user_id": user_id, "course_id": course_id, "now": now}
    row = session.execute(_NEXT_DUE, keys).first()
    return None if row is None or row.due_at is None else (row.assessment_id, row.title, row.due_at)


# Built once: the risk route asks on every request, and composing it cost more Python than the query.
_NEXT_DUE: Select[uuid.UUID, str, datetime | None] = (
    select(Assessment.assessment_id, Assessment.title, Assessment.due_at)
    .where(
        Assessment.course_id == bindparam("course_id"),
        Assessment.status == "published",
        Assessment.due_at >= bindparam("now"),
        Assessment.assessment_id.not_in(
            select(AssessmentAttempt.assessment_id).where(
                AssessmentAttempt.user_id == bindparam("user_id"), AssessmentAttempt.submitted_at.is_not(None)
            )
        ),
    )
    .order_by(Assessment.due_at, Assessment.assessment_id)
    .limit(1)
)
