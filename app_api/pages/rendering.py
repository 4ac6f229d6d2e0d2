"""Templates, and errors rendered for people on ``/app`` paths (problem+json stays for the API).

Jinja2 autoescapes everything (``select_autoescape`` on .html), so a course titled ``<script>`` shows as
text. Errors keep the problem-details fields (title, status, detail) in a page; a signed-out visitor
asking for a page is sent to the sign-in page instead of a bare 401.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from app_api.pages.security import csrf_token, read_session, remember_csrf
from skillstudio.errors import DomainError, Unauthenticated, field_errors
from skillstudio.web.problems import status_of

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)


def _percent(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{places}f}%"


def _change(value: float | None) -> str:
    # The analytics API's % change is already in percent.
    return "no previous period" if value is None else f"{value:+.1f}%"


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


ENVIRONMENT.filters.update(percent=_percent, change=_change, number=_number)


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
    session = read_session(request, request.app.state.settings)
    html = ENVIRONMENT.get_template(template).render(
        request_path=request.url.path,
        user=session.principal if session else None,
        csrf_token=csrf_token(request),
        **context,
    )
    response = Response(html, status_code=status, media_type="text/html")
    remember_csrf(response, request)
    return response


def _error_page(request: Request, status: int, detail: str, **extra: Any) -> Response:
    title = HTTPStatus(status).phrase
    return render(
        request, "error.html", {"status": status, "title": title, "detail": detail, **extra}, status=status
    )


def _is_page(request: Request) -> bool:
    return request.url.path == "/app" or request.url.path.startswith("/app/")


def install_page_errors(app: FastAPI) -> None:
    """Wrap the app's problem+json handlers: pages get the same problem rendered as HTML."""
    api_handlers = dict(app.exception_handlers)

    def wrap(kind: type[Exception] | int, page: Any) -> None:
        api = api_handlers.get(kind)

        async def handler(request: Request, exc: Exception) -> Response:
            if _is_page(request) or api is None:
                return page(request, exc)
            return await api(request, exc)

        app.add_exception_handler(kind, handler)

    def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if isinstance(exc, Unauthenticated) and request.method == "GET":
            return RedirectResponse(f"/app/sign-in?next={quote(request.url.path)}", status_code=303)
        return _error_page(request, status_of(exc), exc.detail)

    def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return _error_page(request, exc.status_code, detail)

    def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors(exc.errors())
        return _error_page(request, 422, "Some of what was sent is not valid.", errors=errors)

    def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on page %s", request.url.path)
        return _error_page(request, 500, "An unexpected error occurred; it has been logged.")

    wrap(DomainError, domain)
    wrap(StarletteHTTPException, http)
    wrap(RequestValidationError, invalid)
    wrap(Exception, unexpected)
