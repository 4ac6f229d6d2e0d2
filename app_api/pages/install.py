"""Mount the pages on the app: routers, static files, security headers and errors rendered as pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app_api.pages import admin, instructor, learner, questions, router, verify
from app_api.pages.charts import warm_up as warm_up_pages
from app_api.pages.rendering import STATIC, install_page_errors
from app_api.pages.security import PageHeaders
from app_api.pages.sources import PageSources

__all__ = ["PAGE_ROUTERS", "install_pages", "warm_up_pages"]

# Every page router; the access matrix checks that each of their routes has a rule.
PAGE_ROUTERS = (
    router.router,
    admin.router,
    instructor.router,
    learner.router,
    questions.router,
    verify.router,
)


def install_pages(app: FastAPI, sources: PageSources | None = None) -> None:
    """Call after the API's problem handlers are installed: the pages wrap them."""
    app.state.page_sources = sources or PageSources()
    for page_router in PAGE_ROUTERS:
        app.include_router(page_router)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="page-static")
    app.add_middleware(PageHeaders)
    install_page_errors(app)
