"""HTTP routes of authentication. Refusals that must keep their writes are returned, not raised."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from app_api.auth import service
from app_api.auth.exceptions import AuthRefusal
from app_api.auth.schemas import (
    LoginCreate,
    LogoutCreate,
    PasswordUpdate,
    RefreshCreate,
    RegistrationCreate,
    TokenRead,
)
from app_api.users.schemas import UserRead
from skillstudio.settings import Settings
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.problems import domain_problem
from skillstudio.web.security import CurrentUser

router = APIRouter(prefix="/auth", tags=["auth"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, **_PROBLEM}


_RATE_LIMITED = _problem(
    "Too many failed password attempts for the account or the client IP; see Retry-After (seconds)."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _client_ip(request: Request) -> str:
    # Behind a load balancer, run uvicorn with --proxy-headers and --forwarded-allow-ips so that this is
    # the client's address rather than the balancer's.
    return request.client.host if request.client else "unknown"


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a learner account",
    description="Emails are stored trimmed and in lower case and are unique regardless of case. Passwords "
    "are hashed with argon2id. Log in afterwards to get tokens.",
    responses={409: _problem("An account with this email exists.")},
)
def register(request: Request, session: SessionDep, body: RegistrationCreate) -> UserRead:
    return service.register(
        session=session, settings=_settings(request), registration=body, now=datetime.now(UTC)
    )


@router.post(
    "/login",
    response_model=TokenRead,
    summary="Log in with email and password",
    description="Starts a session: a short-lived access token and a refresh token. Failed attempts are "
    "limited per account and per client IP over a sliding window.",
    responses={401: _problem("Wrong email or password."), 429: _RATE_LIMITED},
)
def login(request: Request, session: SessionDep, body: LoginCreate) -> TokenRead | JSONResponse:
    try:
        return service.login(
            session=session,
            settings=_settings(request),
            email=body.email,
            password=body.password,
            client_ip=_client_ip(request),
            now=datetime.now(UTC),
        )
    except AuthRefusal as refusal:
        return domain_problem(refusal.error, request=request)


@router.post(
    "/refresh",
    response_model=TokenRead,
    summary="Exchange a refresh token for a new token pair",
    description="Each refresh token is valid once. Presenting one that was already used ends its whole "
    "session (all tokens rotated from the same login) and answers 401.",
    responses={401: _problem("The token is unknown, expired, revoked or was already used.")},
)
def refresh(request: Request, session: SessionDep, body: RefreshCreate) -> TokenRead | JSONResponse:
    try:
        return service.refresh(
            session=session,
            settings=_settings(request),
            refresh_token=body.refresh_token,
            now=datetime.now(UTC),
        )
    except AuthRefusal as refusal:
        return domain_problem(refusal.error, request=request)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="End the session of a refresh token",
    description="Revokes every refresh token of the session. Access tokens already issued stay valid until "
    "they expire (minutes). Logging out of an ended session again is a no-op.",
    responses={401: _problem("The refresh token is unknown.")},
)
def logout(request: Request, session: SessionDep, body: LogoutCreate) -> Response:
    try:
        service.logout(session=session, refresh_token=body.refresh_token, now=datetime.now(UTC))
    except AuthRefusal as refusal:
        return domain_problem(refusal.error, request=request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password",
    response_model=TokenRead,
    summary="Change the caller's password",
    description="Checks the current password (rate-limited like a login), ends every session of the "
    "account, and starts a new one for the caller.",
    responses={
        401: _problem("No valid access token."),
        403: _problem("The current password is wrong."),
        429: _RATE_LIMITED,
    },
)
def change_password(
    request: Request, session: SessionDep, user: CurrentUser, body: PasswordUpdate
) -> TokenRead | JSONResponse:
    try:
        return service.change_password(
            session=session,
            settings=_settings(request),
            principal=user,
            current_password=body.current_password,
            new_password=body.new_password,
            client_ip=_client_ip(request),
            now=datetime.now(UTC),
        )
    except AuthRefusal as refusal:
        return domain_problem(refusal.error, request=request)
