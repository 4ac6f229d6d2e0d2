"""Signing in and out, and each role's home page. Pages are HTML, kept out of the OpenAPI document."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app_api.auth import service as auth
from app_api.pages.dependencies import SessionCookie
from app_api.pages.rendering import render
from app_api.pages.security import CSRF_FIELD, check_csrf, end_session, read_session, start_session
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.principals import Principal, decode_access_token
from skillstudio.web.problems import status_of

router = APIRouter(prefix="/app", include_in_schema=False)

HOME = {"admin": "/app/admin", "instructor": "/app/instructor", "learner": "/app/learner"}


def _safe_next(target: str | None) -> str | None:
    # Only a path of this site: never an open redirect to another origin.
    if target and target.startswith("/app") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("")
def home(request: Request) -> Response:
    found = read_session(request, request.app.state.settings)
    if found is None:
        return RedirectResponse("/app/sign-in", status_code=303)
    return RedirectResponse(HOME[found.principal.role], status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    return render(request, "sign_in.html", {"next": _safe_next(next), "errors": {}, "email": ""})


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
    next: Annotated[str | None, Form(max_length=2000)] = None,  # noqa: A002 - the form field's name
) -> Response:
    check_csrf(request, csrf_token)
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."
    context = {"next": _safe_next(next), "email": email, "errors": errors}
    if errors:
        return render(request, "sign_in.html", context, status=422)
    try:
        tokens = auth.login(
            session=session,
            settings=request.app.state.settings,
            email=email.strip(),
            password=password,
            client_ip=request.client.host if request.client else "unknown",
            now=datetime.now(UTC),
        )
    except auth.AuthRefusal as refusal:
        # Returned, not raised: the failed attempt the rate limit counts must be committed.
        status = status_of(refusal.error)
        context["errors"] = {"form": refusal.error.detail}
        return render(request, "sign_in.html", context, status=status)
    principal: Principal = decode_access_token(request.app.state.settings, tokens.access_token)
    response = RedirectResponse(_safe_next(next) or HOME[principal.role], status_code=303)
    start_session(
        response,
        request,
        request.app.state.settings,
        principal=principal,
        refresh_token=tokens.refresh_token,
    )
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    session: SessionDep,
    page_session: SessionCookie,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    check_csrf(request, csrf_token)
    # An AuthRefusal means the API session had already ended (password changed elsewhere): the page
    # session ends now all the same.
    with suppress(auth.AuthRefusal):
        auth.logout(session=session, refresh_token=page_session.refresh_token, now=datetime.now(UTC))
    response = RedirectResponse("/app/sign-in", status_code=303)
    end_session(response, request)
    return response
