"""Who is looking at a page: the cookie session's principal, and role checks with the API's rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app_api.analytics import service as analytics
from app_api.pages.security import PageSession, require_session
from app_api.pages.sources import PageSources
from skillstudio.errors import Forbidden
from skillstudio.web.principals import Principal


def _viewer(request: Request) -> Principal:
    return require_session(request).principal


def _admin(viewer: Annotated[Principal, Depends(_viewer)]) -> Principal:
    if not viewer.is_admin:
        raise Forbidden("This page is for admin accounts only.")
    return viewer


def _author(viewer: Annotated[Principal, Depends(_viewer)]) -> Principal:
    # The analytics API's rule for course lists: instructors (their courses) and admins (every course).
    if viewer.role not in ("instructor", "admin"):
        raise Forbidden("This page is for instructor and admin accounts only.")
    return viewer


def _marts(request: Request) -> analytics.Marts:
    return analytics.marts_of(request.app.state.settings.analytics_schema)


def _sources(request: Request) -> PageSources:
    return getattr(request.app.state, "page_sources", None) or PageSources()


Viewer = Annotated[Principal, Depends(_viewer)]
AdminViewer = Annotated[Principal, Depends(_admin)]
AuthorViewer = Annotated[Principal, Depends(_author)]
SessionCookie = Annotated[PageSession, Depends(require_session)]
MartsDep = Annotated[analytics.Marts, Depends(_marts)]
SourcesDep = Annotated[PageSources, Depends(_sources)]
