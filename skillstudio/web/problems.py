"""RFC 9457 problem+json for every error the HTTP layer returns.

Services raise the domain errors of ``skillstudio.errors``; one handler here gives each class its status
(and the headers that status calls for: ``WWW-Authenticate`` on 401, ``Retry-After`` on 429 and 503).
Routers that must answer with a status no domain error stands for raise ``ProblemError``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from skillstudio.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidContent,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    Unauthenticated,
    Unavailable,
    field_errors,
)

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """Raise from a router to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extra = extra


# Most specific first: a subclass of one of these takes the status of the first class it is an instance of.
STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidRequest, 400),
    (InvalidContent, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (PreconditionRequired, 428),
    (RateLimited, 429),
    (Unavailable, 503),
)


def status_of(error: DomainError) -> int:
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


def _headers_of(error: DomainError) -> dict[str, str] | None:
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, RateLimited | Unavailable) and error.retry_after is not None:
        return {"Retry-After": str(error.retry_after)}
    return None


def domain_problem(error: DomainError, *, request: Request) -> JSONResponse:
    """The problem+json answer for a domain error (routers that must commit first return it themselves)."""
    return problem_response(
        status_of(error),
        error.detail,
        request=request,
        title=error.title,
        headers=_headers_of(error),
        **error.extra,
    )


def problem_response(
    status: int,
    detail: str,
    *,
    request: Request,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.detail, request=request, title=exc.title, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc, request=request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422, "The request is not valid.", request=request, errors=field_errors(exc.errors())
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(exc.status_code, str(exc.detail), request=request, headers=headers)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        # No connection to be had (pool exhausted, server full or down) or a transient failure: nothing was
        # stored, and the same request will work once the load passes.
        logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(
            503,
            "The database is busy or unreachable; nothing was changed. Retry the request shortly.",
            request=request,
            headers={"Retry-After": "1"},
        )

    for transient in (sqlalchemy.exc.TimeoutError, sqlalchemy.exc.OperationalError, psycopg.OperationalError):
        app.add_exception_handler(transient, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "An unexpected error occurred; it has been logged.", request=request)
