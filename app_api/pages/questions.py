"""A question's edit page, linked from a course's question statistics: what a review usually changes (the
prompt, and the IRT difficulty and discrimination), through the assessments service the API's PATCH uses.

The course's instructor and admins only (the service decides: 404 for a course the viewer may not see, 403
for one they do not teach). The form carries the version it was read at, sent as the API's If-Match, so an
edit made meanwhile elsewhere is told rather than overwritten. The change is committed before the redirect:
the request session's own commit runs after the response is sent, and the page the browser is sent to next
must read the new version.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from app_api.assessments import questions
from app_api.assessments.schemas import QuestionAuthorRead, QuestionUpdate
from app_api.common.etags import etag
from app_api.pages.dependencies import AuthorViewer
from app_api.pages.rendering import render
from app_api.pages.security import CSRF_FIELD, check_csrf
from skillstudio.errors import InvalidContent, PreconditionFailed
from skillstudio.web.dependencies import SessionDep

router = APIRouter(prefix="/app/instructor", include_in_schema=False)

QuestionId = Annotated[uuid.UUID, Path(description="The question.")]
EDITED = ("prompt", "difficulty", "discrimination")


def _form(question: QuestionAuthorRead, values: dict[str, str] | None = None) -> dict[str, Any]:
    shown = {name: str(getattr(question, name)) for name in EDITED} | (values or {})
    return {"question": question, "values": shown, "version": question.version}


def _page(
    request: Request,
    question: QuestionAuthorRead,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    context = _form(question, values) | {"errors": errors or {}, "message": message, "saved": saved}
    return render(request, "question.html", context, status=status)


@router.get("/questions/{question_id}")
def question_page(
    request: Request, session: SessionDep, viewer: AuthorViewer, question_id: QuestionId, saved: bool = False
) -> Response:
    question = questions.get_question(session, principal=viewer, question_id=question_id)
    return _page(request, question, saved=saved)


def _parsed(prompt: str, difficulty: str, discrimination: str) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}
    for name, text in (("difficulty", difficulty), ("discrimination", discrimination)):
        try:
            numbers[name] = float(text.strip())
        except ValueError:
            errors[name] = "Enter a number, e.g. 0.5."
    return {"prompt": prompt.strip(), **numbers}, errors


@router.post("/questions/{question_id}")
def edit_question(
    request: Request,
    session: SessionDep,
    viewer: AuthorViewer,
    question_id: QuestionId,
    prompt: Annotated[str, Form(max_length=10_000)] = "",
    difficulty: Annotated[str, Form(max_length=50)] = "",
    discrimination: Annotated[str, Form(max_length=50)] = "",
    version: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    check_csrf(request, csrf_token)
    current = questions.get_question(session, principal=viewer, question_id=question_id)
    values = {"prompt": prompt, "difficulty": difficulty, "discrimination": discrimination}
    data, errors = _parsed(prompt, difficulty, discrimination)
    try:
        change = QuestionUpdate.model_validate({k: v for k, v in data.items() if k not in errors})
    except ValidationError as error:
        errors |= {str(e["loc"][0]): e["msg"] for e in error.errors() if e["loc"]}
    if errors:
        return _page(request, current, values=values, errors=errors, status=422)
    try:
        questions.update_question(
            session,
            principal=viewer,
            question_id=question_id,
            data=change,
            if_match=etag(question_id, version),
        )
    except PreconditionFailed:
        message = (
            "Someone saved this question after you opened it: it now shows their version. "
            "Your edits are kept in the form; save again to replace theirs."
        )
        return _page(request, current, values=values, message=message, status=412)
    except InvalidContent as error:
        listed = error.extra.get("errors", [])
        found = {str(e["field"]).rsplit(".", 1)[-1]: str(e["message"]) for e in listed}
        return _page(request, current, values=values, errors=found or {"form": error.detail}, status=422)
    session.commit()
    return RedirectResponse(f"/app/instructor/questions/{question_id}?saved=true", status_code=303)
