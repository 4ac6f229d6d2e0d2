"""Assessment routes: question bank and assessments (authors), attempts (learners). HTTP only.

Authoring routes are for the course's instructor and admins; edits need ``If-Match`` with the ETag of the
last read (428 without it, 412 when stale). Learners never receive an answer key before they submit.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status

from app_api.assessments import attempts, questions, service
from app_api.assessments.attempt_schemas import AnswerSave, AttemptPage, AttemptRead, AttemptSubmit
from app_api.assessments.schemas import (
    AssessmentAuthorRead,
    AssessmentCreate,
    AssessmentPage,
    AssessmentRead,
    AssessmentUpdate,
    QuestionAuthorRead,
    QuestionCreate,
    QuestionPage,
    QuestionUpdate,
)
from app_api.common.etags import etag
from app_api.common.parameters import DEFAULT_PAGE, Cursor, IfMatch, Limit, problems
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["assessments"])


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Every assessment route needs a token, so each may answer 401 too."""
    return problems(401, *codes)


@router.post(
    "/courses/{course_id}/questions",
    response_model=QuestionAuthorRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a question to a course's bank",
    responses=_problems(403, 404, 422),
)
def create_question(
    course_id: uuid.UUID,
    data: Annotated[QuestionCreate, Body()],
    session: SessionDep,
    user: CurrentUser,
    response: Response,
) -> QuestionAuthorRead:
    created = questions.create_question(session, principal=user, course_id=course_id, data=data)
    response.headers["ETag"] = etag(created.question_id, created.version)
    return created


@router.get(
    "/courses/{course_id}/questions",
    response_model=QuestionPage,
    summary="List a course's question bank (authors)",
    responses=_problems(403, 404),
)
def list_questions(
    course_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    skill_id: uuid.UUID | None = None,
) -> QuestionPage:
    return questions.list_questions(
        session, principal=user, course_id=course_id, skill_id=skill_id, cursor=cursor, limit=limit
    )


@router.get(
    "/questions/{question_id}",
    response_model=QuestionAuthorRead,
    summary="Read a question with its answer key (authors)",
    responses=_problems(403, 404),
)
def get_question(
    question_id: uuid.UUID, session: SessionDep, user: CurrentUser, response: Response
) -> QuestionAuthorRead:
    found = questions.get_question(session, principal=user, question_id=question_id)
    response.headers["ETag"] = etag(found.question_id, found.version)
    return found


@router.patch(
    "/questions/{question_id}",
    response_model=QuestionAuthorRead,
    summary="Edit a question (If-Match required)",
    responses=_problems(403, 404, 412, 422, 428),
)
def update_question(
    question_id: uuid.UUID,
    data: QuestionUpdate,
    session: SessionDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> QuestionAuthorRead:
    updated = questions.update_question(
        session,
        principal=user,
        question_id=question_id,
        data=data,
        if_match=if_match,
    )
    response.headers["ETag"] = etag(updated.question_id, updated.version)
    return updated


@router.delete(
    "/questions/{question_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a question no learner has answered (If-Match required)",
    responses=_problems(403, 404, 409, 412, 428),
)
def delete_question(
    question_id: uuid.UUID, session: SessionDep, user: CurrentUser, if_match: IfMatch = None
) -> None:
    questions.delete_question(session, principal=user, question_id=question_id, if_match=if_match)


@router.post(
    "/courses/{course_id}/assessments",
    response_model=AssessmentAuthorRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an assessment (quiz, diagnostic, exam…) from the course's questions",
    responses=_problems(403, 404, 422),
)
def create_assessment(
    course_id: uuid.UUID, data: AssessmentCreate, session: SessionDep, user: CurrentUser, response: Response
) -> AssessmentAuthorRead:
    created = service.create_assessment(session, principal=user, course_id=course_id, data=data)
    response.headers["ETag"] = etag(created.assessment_id, created.version)
    return created


@router.get(
    "/courses/{course_id}/assessments",
    response_model=AssessmentPage,
    summary="List a course's assessments (learners: published ones)",
    responses=_problems(404),
)
def list_assessments(
    course_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> AssessmentPage:
    return service.list_assessments(session, principal=user, course_id=course_id, cursor=cursor, limit=limit)


@router.get(
    "/assessments/{assessment_id}",
    response_model=AssessmentRead,
    summary="Read an assessment",
    responses=_problems(404),
)
def get_assessment(
    assessment_id: uuid.UUID, session: SessionDep, user: CurrentUser, response: Response
) -> AssessmentRead:
    found = service.get_assessment(session, principal=user, assessment_id=assessment_id)
    response.headers["ETag"] = etag(found.assessment_id, found.version)
    return found


@router.get(
    "/assessments/{assessment_id}/questions",
    response_model=list[QuestionAuthorRead],
    summary="An assessment's questions in order, with answer keys (authors)",
    responses=_problems(403, 404),
)
def assessment_questions(
    assessment_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> list[QuestionAuthorRead]:
    return service.authored_questions(session, principal=user, assessment_id=assessment_id)


@router.patch(
    "/assessments/{assessment_id}",
    response_model=AssessmentAuthorRead,
    summary="Edit an assessment: settings, status, question list (If-Match required)",
    responses=_problems(403, 404, 412, 422, 428),
)
def update_assessment(
    assessment_id: uuid.UUID,
    data: AssessmentUpdate,
    session: SessionDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> AssessmentAuthorRead:
    updated = service.update_assessment(
        session,
        principal=user,
        assessment_id=assessment_id,
        data=data,
        if_match=if_match,
    )
    response.headers["ETag"] = etag(updated.assessment_id, updated.version)
    return updated


@router.delete(
    "/assessments/{assessment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an assessment nobody has attempted (If-Match required)",
    responses=_problems(403, 404, 409, 412, 428),
)
def delete_assessment(
    assessment_id: uuid.UUID, session: SessionDep, user: CurrentUser, if_match: IfMatch = None
) -> None:
    service.delete_assessment(session, principal=user, assessment_id=assessment_id, if_match=if_match)


@router.post(
    "/assessments/{assessment_id}/attempts",
    response_model=AttemptRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start an attempt (409 beyond the attempt limit or while one is in progress)",
    responses=_problems(403, 404, 409),
)
def start_attempt(assessment_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> AttemptRead:
    return attempts.start_attempt(session, principal=user, assessment_id=assessment_id)


@router.get(
    "/assessments/{assessment_id}/attempts",
    response_model=AttemptPage,
    summary="Attempts at an assessment: yours, or everyone's for its authors",
    responses=_problems(403, 404),
)
def list_assessment_attempts(
    assessment_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
    learner_id: Annotated[uuid.UUID | None, Query(description="Authors: this learner only.")] = None,
) -> AttemptPage:
    return attempts.list_attempts(
        session, principal=user, assessment_id=assessment_id, user_id=learner_id, cursor=cursor, limit=limit
    )


@router.get(
    "/learners/{learner_id}/attempts",
    response_model=AttemptPage,
    summary="A learner's attempts, newest first (the learner and admins)",
    responses=_problems(403),
)
def list_learner_attempts(
    learner_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> AttemptPage:
    return attempts.list_attempts(session, principal=user, user_id=learner_id, cursor=cursor, limit=limit)


@router.get(
    "/attempts/{attempt_id}",
    response_model=AttemptRead,
    summary="Read an attempt (its learner, the course's authors, admins)",
    responses=_problems(403, 404),
)
def get_attempt(attempt_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> AttemptRead:
    return attempts.get_attempt(session, principal=user, attempt_id=attempt_id)


@router.put(
    "/attempts/{attempt_id}/answers/{question_id}",
    response_model=AttemptRead,
    summary="Save your answer to one question (graded on submit; adaptive: serves the next question)",
    responses=_problems(403, 404, 409, 422),
)
def save_answer(
    attempt_id: uuid.UUID, question_id: uuid.UUID, data: AnswerSave, session: SessionDep, user: CurrentUser
) -> AttemptRead:
    return attempts.answer(
        session, principal=user, attempt_id=attempt_id, question_id=question_id, response=data.response
    )


@router.post(
    "/attempts/{attempt_id}/submit",
    response_model=AttemptRead,
    summary="Submit an attempt and get its grade (late submissions grade answers saved in time)",
    responses=_problems(403, 404, 409, 422),
)
def submit_attempt(
    attempt_id: uuid.UUID, session: SessionDep, user: CurrentUser, data: AttemptSubmit | None = None
) -> AttemptRead:
    answers = data.answers if data is not None else []
    return attempts.submit(session, principal=user, attempt_id=attempt_id, answers=answers)
