"""Mount the pages on the app: routers, static files, security headers and errors rendered as pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app_api.pages import admin, instructor, learner, router
from app_api.pages.rendering import STATIC, install_page_errors
from app_api.pages.security import PageHeaders
from app_api.pages.sources import PageSources


def install_pages(app: FastAPI, sources: PageSources | None = None) -> None:
    """Call after the API's problem handlers are installed: the pages wrap them."""
    app.state.page_sources = sources or PageSources()
    for module in (router, admin, instructor, learner):
        app.include_router(module.router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="page-static")
    app.add_middleware(PageHeaders)
    install_page_errors(app)
