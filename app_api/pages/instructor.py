"""Instructor pages: my courses over time, and a course's funnel, question statistics and at-risk learners.

The analytics API's rules apply: instructors see their own courses, admins every course. A course the
viewer may not see answers 404 like a course that does not exist, so a draft's existence is never told.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app_api.analytics import service as analytics
from app_api.pages.charts import Chart, bar_chart, line_chart
from app_api.pages.dependencies import AuthorViewer, MartsDep
from app_api.pages.rendering import render
from app_api.risk import service as risk
from skillstudio.errors import Forbidden, NotFound
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.principals import Principal

router = APIRouter(prefix="/app/instructor", include_in_schema=False)

CourseId = Annotated[uuid.UUID, Path(description="The course.")]
CHARTED_COURSES = 5
DAYS = 30
LISTED_COURSES = 50
AT_RISK_LISTED = 50


def _enrollments_over_time(
    session: Session, marts: analytics.Marts, viewer: Principal, courses: list[Any]
) -> Chart | None:
    charted = courses[:CHARTED_COURSES]
    daily = analytics.daily_enrollments(
        session=session, marts=marts, viewer=viewer, course_ids=[c.course_id for c in charted], days=DAYS
    )
    days = sorted({day for by_day in daily.values() for day in by_day})
    if not days:
        return None
    labels = [(f"course_{n}", course.title) for n, course in enumerate(charted)]
    rows = [
        {"day": day.isoformat()}
        | {
            field: daily[course.course_id].get(day, 0)
            for (field, _), course in zip(labels, charted, strict=True)
        }
        for day in days
    ]
    return line_chart(
        title=f"Enrollments per day, last {DAYS} days",
        rows=rows,
        x="day",
        x_title="Day",
        series=labels,
        y_title="Enrollments",
    )


@router.get("")
def instructor_home(request: Request, session: SessionDep, viewer: AuthorViewer, marts: MartsDep) -> Response:
    courses = analytics.course_list(
        session=session,
        marts=marts,
        viewer=viewer,
        sort=analytics.CourseSort.most_enrollments,
        cursor=None,
        limit=LISTED_COURSES,
    ).items
    totals = None
    if viewer.role == "instructor":
        totals = analytics.instructor(
            session=session, marts=marts, viewer=viewer, instructor_id=viewer.user_id
        )
    rate_chart = (
        bar_chart(
            title="Completion rate by course",
            rows=[
                {"title": course.title, "rate": course.completion_rate}
                for course in courses[: CHARTED_COURSES * 2]
            ],
            category="title",
            category_title="Course",
            series=[("rate", "Completion rate")],
            value_title="Completion rate",
            value_format=".0%",
        )
        if courses
        else None
    )
    context = {
        "courses": courses,
        "totals": totals,
        "over_time": _enrollments_over_time(session, marts, viewer, courses),
        "rate_chart": rate_chart,
    }
    return render(request, "instructor.html", context)


@router.get("/courses/{course_id}")
def course_page(
    request: Request, session: SessionDep, viewer: AuthorViewer, marts: MartsDep, course_id: CourseId
) -> Response:
    try:
        detail = analytics.course_detail(
            session=session,
            marts=marts,
            viewer=viewer,
            course_id=course_id,
            start=None,
            end=None,
            granularity=analytics.Granularity.day,
        )
    except Forbidden as error:
        raise NotFound(f"There is no course {course_id}.") from error
    funnel = analytics.course_funnel(
        session=session, marts=marts, viewer=viewer, course_id=course_id, cursor=None, limit=100
    ).items
    questions = analytics.course_questions(
        session=session, marts=marts, viewer=viewer, course_id=course_id, flagged=True, cursor=None, limit=100
    ).items
    # The stored daily scores, riskiest first (one query, names in one more): the high band, as the API.
    at_risk = risk.at_risk(
        session=session, viewer=viewer, course_id=course_id, min_risk=risk.HIGH_RISK, cursor=None,
        limit=AT_RISK_LISTED,
    )  # fmt: skip
    series_rows = [{**period.model_dump(), "start": period.start.isoformat()} for period in detail.periods]
    funnel_rows = [
        {
            "lesson": f"{step.lesson_number}. {step.title or 'Untitled lesson'}",
            "reached": step.learners_reached,
            "completed": step.learners_completed,
            "left": step.learners_left_after,
        }
        for step in funnel
    ]
    context = {
        "course": detail,
        "activity": line_chart(
            title="Enrollments and completions per day",
            rows=series_rows,
            x="start",
            x_title="Day",
            series=[("enrollments", "Enrollments"), ("completions", "Completions")],
            y_title="Count",
        ),
        "funnel": funnel_rows,
        "funnel_chart": bar_chart(
            title="Lesson funnel: learners reaching, completing and leaving after each lesson",
            rows=funnel_rows,
            category="lesson",
            category_title="Lesson",
            series=[("reached", "Reached"), ("completed", "Completed"), ("left", "Left after")],
            value_title="Learners",
        )
        if funnel_rows
        else None,
        "questions": questions,
        "at_risk": at_risk,
        "high_risk": risk.HIGH_RISK,
    }
    return render(request, "course.html", context)
