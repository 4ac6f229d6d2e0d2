"""RFC 9457 problem+json for every error the HTTP layer returns."""

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


def field_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors as ``{"field": "body.0.actor.id", "message": ...}`` entries, each once.

    FastAPI validates a path parameter once for every dependency that declares it (the route and an
    access-check dependency both name ``learner_id``), so the same error can come twice.
    """
    entries = (
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "message": error["msg"],
            "type": error["type"],
        }
        for error in errors
    )
    unique = {(entry["field"], entry["message"], entry["type"]): entry for entry in entries}
    return list(unique.values())


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.detail, request=request, title=exc.title, headers=exc.headers, **exc.extra
        )

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
