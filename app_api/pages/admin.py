"""Admin pages: the platform overview with its period selector, and system health."""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app_api.analytics import service as analytics
from app_api.pages.charts import bar_chart, line_chart
from app_api.pages.dependencies import AdminViewer, MartsDep, SourcesDep
from app_api.pages.rendering import render
from app_api.users import service as users
from skillstudio.errors import NotFound
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.principals import Principal

router = APIRouter(prefix="/app/admin", include_in_schema=False)

PERIODS = (7, 30, 90, 365)
TOP = 5


class Period(IntEnum):
    """The period selector's choices: the last N days the marts hold."""

    week = 7
    month = 30
    quarter = 90
    year = 365


Days = Annotated[Period, Query(description="The period: the last 7, 30, 90 or 365 days the marts hold.")]

# (field, label) of the headline figures, each shown with its % change against the previous period.
HEADLINES = (
    ("dau", "Daily active (mean)"),
    ("wau", "Weekly active"),
    ("mau", "Monthly active"),
    ("new_learners", "New learners"),
    ("enrollments", "Enrollments"),
    ("course_completions", "Completions"),
)


def _ratio(dau: float, mau: int) -> float | None:
    return round(dau / mau, 4) if mau else None


def overview(session: Session, marts: analytics.Marts, days: int, viewer: Principal) -> dict[str, Any]:
    """Everything the overview shows, as plain data (the benchmark and the tests read it too)."""
    platform = analytics.platform_last_days(session=session, marts=marts, days=days)
    periods = [{**period.model_dump(), "start": period.start.isoformat()} for period in platform.periods]
    for period in periods:
        period["dau_mau"] = _ratio(period["dau"], period["mau"])
    totals = platform.totals.model_dump()
    change = platform.change_percent.model_dump()
    unit = "Week" if platform.range.granularity.value == "week" else "Day"
    top_enrolled = analytics.course_list(
        session=session,
        marts=marts,
        viewer=viewer,
        sort=analytics.CourseSort.most_enrollments,
        cursor=None,
        limit=TOP,
    ).items
    top_completing = analytics.course_list(
        session=session,
        marts=marts,
        viewer=viewer,
        sort=analytics.CourseSort.highest_completion_rate,
        cursor=None,
        limit=TOP,
    ).items
    instructors = analytics.top_instructors(session=session, marts=marts, limit=TOP)
    names = {}
    for row in instructors:
        try:
            names[row.instructor_id] = users.get_user(session=session, user_id=row.instructor_id).display_name
        except NotFound:
            names[row.instructor_id] = "(account removed)"
    return {
        "range": platform.range,
        "headlines": [
            {"field": field, "label": label, "value": totals[field], "change": change.get(field)}
            for field, label in HEADLINES
        ],
        "dau_mau": _ratio(totals["dau"], totals["mau"]),
        "charts": [
            line_chart(
                title="Active learners",
                rows=periods,
                x="start",
                x_title=unit,
                series=[("dau", "DAU"), ("wau", "WAU"), ("mau", "MAU")],
                y_title="Learners",
            ),
            line_chart(
                title="Stickiness (DAU / MAU)",
                rows=periods,
                x="start",
                x_title=unit,
                series=[("dau_mau", "DAU/MAU")],
                y_title="DAU / MAU",
                y_format=".0%",
            ),
            line_chart(
                title="Growth",
                rows=periods,
                x="start",
                x_title=unit,
                series=[
                    ("new_learners", "New learners"),
                    ("enrollments", "Enrollments"),
                    ("course_completions", "Completions"),
                ],
                y_title="Count",
            ),
        ],
        "top_enrolled": top_enrolled,
        "top_enrolled_chart": bar_chart(
            title=f"Top {TOP} courses by enrollments",
            rows=[{"title": row.title, "enrollments": row.enrollments} for row in top_enrolled],
            category="title",
            category_title="Course",
            series=[("enrollments", "Enrollments")],
            value_title="Enrollments",
        )
        if top_enrolled
        else None,
        "top_completing": top_completing,
        "instructors": [(names[row.instructor_id], row) for row in instructors],
    }


@router.get("")
def admin_home(
    request: Request, session: SessionDep, viewer: AdminViewer, marts: MartsDep, days: Days = Period.month
) -> Response:
    context = {"periods": PERIODS, "days": int(days), **overview(session, marts, int(days), viewer)}
    return render(request, "admin.html", context)


@router.get("/health")
def system_health(
    request: Request, session: SessionDep, viewer: AdminViewer, sources: SourcesDep
) -> Response:
    health = sources.health(session) if sources.health is not None else None
    return render(request, "health.html", {"health": health})
