"""The pages' cookie session, CSRF protection and response headers.

The session cookie holds a signed token (HS256, the API's secret) naming the user, their role and the
refresh token of the API session that signing in started, so signing out ends that session too. It is
HttpOnly, SameSite=Lax, and Secure whenever the page was served over HTTPS.

CSRF: every form carries the value of a random, HttpOnly ``skillstudio_csrf`` cookie (double submit); a
POST whose field does not match it, or whose Origin names another site, is refused with 403 before the
route runs. SameSite=Lax already keeps the session cookie off cross-site POSTs; the token is the second,
independent line for browsers or proxies that do not honour it.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skillstudio.errors import Forbidden, Unauthenticated
from skillstudio.settings import Settings
from skillstudio.web.principals import ROLES, Principal

SESSION_COOKIE = "skillstudio_session"
CSRF_COOKIE = "skillstudio_csrf"
CSRF_FIELD = "csrf_token"
SESSION_HOURS = 8
_ALGORITHM = "HS256"
_TYPE = "page-session"

# No script at all, no other origin: styles and images from this server only (charts are inline SVG).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


@dataclass(frozen=True)
class PageSession:
    principal: Principal
    refresh_token: str


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def session_token(settings: Settings, *, principal: Principal, refresh_token: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(principal.user_id),
        "role": principal.role,
        "type": _TYPE,
        "rt": refresh_token,
        "iat": now,
        "exp": now + timedelta(hours=SESSION_HOURS),
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm=_ALGORITHM)


def start_session(
    response: Response, request: Request, settings: Settings, *, principal: Principal, refresh_token: str
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_token(settings, principal=principal, refresh_token=refresh_token),
        max_age=SESSION_HOURS * 3600,
        path="/app",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def end_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/app", httponly=True, samesite="lax", secure=_secure(request)
    )


def read_session(request: Request, settings: Settings) -> PageSession | None:
    """The signed-in user, or None without a cookie; a forged or expired cookie counts as none."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        claims = jwt.decode(
            token, settings.signing_secret(), algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
        )
        if claims.get("type") != _TYPE or claims.get("role") not in ROLES:
            return None
        principal = Principal(user_id=uuid.UUID(claims["sub"]), role=claims["role"])
    except (jwt.PyJWTError, ValueError):
        return None
    return PageSession(principal=principal, refresh_token=str(claims.get("rt", "")))


def require_session(request: Request) -> PageSession:
    found = read_session(request, request.app.state.settings)
    if found is None:
        raise Unauthenticated("Sign in to see this page.")
    return found


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one that ``remember_csrf`` will set."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf_token = token
    return str(token)


def remember_csrf(response: Response, request: Request) -> None:
    token = getattr(request.state, "csrf_token", None)
    if token is not None and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE, token, path="/app", httponly=True, samesite="strict", secure=_secure(request)
        )


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post without the token of this browser's CSRF cookie, or from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise Forbidden("This form was sent from another site; it was refused.")
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden(
            "This form's security token is missing or out of date; reload the page and send it again."
        )


class PageHeaders:
    """ASGI middleware adding the pages' security headers to every ``/app`` response (API untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/app"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in PAGE_HEADERS if name not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
