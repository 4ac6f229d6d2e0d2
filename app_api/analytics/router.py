"""HTTP for the analytics read from the dbt marts: platform, courses, funnels and instructors."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from app_api.analytics import service as analytics
from app_api.analytics.lists import CourseSort
from app_api.analytics.marts import RETRY_AFTER_SECONDS, Marts, marts_in
from app_api.analytics.periods import MAX_DAYS, Granularity
from app_api.analytics.schemas import (
    CourseAnalytics,
    CourseSummaryPage,
    FunnelPage,
    InstructorAnalytics,
    LearnerAnalytics,
    PlatformSeries,
    QuestionStatsPage,
)
from app_api.common.parameters import DEFAULT_PAGE, Admin, Author, Cursor, Limit, problems
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.security import CurrentUser

router = APIRouter(prefix="/analytics", tags=["analytics"])


def _marts(request: Request) -> Marts:
    return marts_in(request.app.state.settings.analytics_schema)


MartsDep = Annotated[Marts, Depends(_marts)]

_LIMITS = ", ".join(f"{days} days at {granularity.value}" for granularity, days in MAX_DAYS.items())
From = Annotated[
    date | None,
    Query(
        alias="from",
        description="First day (UTC) of the range; by default 30 days before `to`, or the first day the "
        "marts hold if later.",
    ),
]
To = Annotated[
    date | None,
    Query(
        alias="to",
        description="Last day (UTC) of the range, included; by default the last day the marts hold.",
    ),
]
GranularityQuery = Annotated[
    Granularity,
    Query(description="Periods of the series: UTC days, ISO weeks (Monday to Sunday) or calendar months."),
]
Sort = Annotated[
    CourseSort,
    Query(description="Order of the courses: a leading `-` puts the largest first. No rate sorts as -1."),
]
CourseId = Annotated[uuid.UUID, Path(description="The course.")]
InstructorId = Annotated[uuid.UUID, Path(description="The instructor's user id.")]
LearnerId = Annotated[uuid.UUID, Path(description="The learner's user id.")]

_NOT_BUILT: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "The analytics marts are not built yet (the pipeline has not run), or the database is "
        "busy; retry after Retry-After seconds.",
        "headers": {
            "Retry-After": {
                "description": f"Seconds to wait ({RETRY_AFTER_SECONDS} while the marts are missing).",
                "schema": {"type": "integer"},
            }
        },
    }
}
_RANGE: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Invalid parameters, with field-level `errors`: `from` after `to`, a range longer "
        f"than {_LIMITS}, or days outside those the marts hold."
    }
}


def _responses(*codes: int, series: bool = False) -> dict[int | str, dict[str, Any]]:
    return {**problems(*codes), **(_RANGE if series else {}), **_NOT_BUILT}


@router.get(
    "/platform",
    response_model=PlatformSeries,
    summary="Platform activity over time (admins)",
    description="A series from `fct_platform_daily`: per period the mean DAU, WAU and MAU on its last day, "
    "new learners, enrollments, drops, lesson and course completions, quiz attempts, passes and pass rate, "
    "and the mean of active courses; totals over the range and their % change against the previous range "
    "of the same length.",
    responses=_responses(401, 403, series=True),
)
def platform(
    session: SessionDep,
    admin: Admin,
    marts: MartsDep,
    start: From = None,
    end: To = None,
    granularity: GranularityQuery = Granularity.day,
) -> PlatformSeries:
    return analytics.platform(session=session, marts=marts, start=start, end=end, granularity=granularity)


@router.get(
    "/courses",
    response_model=CourseSummaryPage,
    summary="Course summaries (admins: every course; instructors: theirs)",
    description="One row per course from `fct_course_summary`, as of the marts' last build: courses created "
    "since appear after the next pipeline run.",
    responses=_responses(401, 403),
)
def list_courses(
    session: SessionDep,
    viewer: Author,
    marts: MartsDep,
    sort: Sort = CourseSort.most_enrollments,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> CourseSummaryPage:
    return analytics.course_list(
        session=session, marts=marts, viewer=viewer, sort=sort, cursor=cursor, limit=limit
    )


@router.get(
    "/courses/{course_id}",
    response_model=CourseAnalytics,
    summary="A course's analytics (its instructor, admins)",
    description="The course's summary and its runs' (`fct_course_summary`), and a series from "
    "`fct_course_daily`; by default the 30 days ending on the course's last day of activity.",
    responses=_responses(401, 403, 404, series=True),
)
def course_detail(
    session: SessionDep,
    viewer: CurrentUser,
    marts: MartsDep,
    course_id: CourseId,
    start: From = None,
    end: To = None,
    granularity: GranularityQuery = Granularity.day,
) -> CourseAnalytics:
    return analytics.course_detail(
        session=session,
        marts=marts,
        viewer=viewer,
        course_id=course_id,
        start=start,
        end=end,
        granularity=granularity,
    )


@router.get(
    "/courses/{course_id}/funnel",
    response_model=FunnelPage,
    summary="A course's lesson funnel (its instructor, admins)",
    description="Its lessons in course order (`fct_course_lesson_funnel`): learners who reached, completed "
    "and left the course after each.",
    responses=_responses(401, 403, 404),
)
def course_funnel(
    session: SessionDep,
    viewer: CurrentUser,
    marts: MartsDep,
    course_id: CourseId,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> FunnelPage:
    return analytics.course_funnel(
        session=session, marts=marts, viewer=viewer, course_id=course_id, cursor=cursor, limit=limit
    )


@router.get(
    "/courses/{course_id}/questions",
    response_model=QuestionStatsPage,
    summary="A course's question statistics (its instructor, admins)",
    description="Its answered questions (`fct_question_stats`), worst discrimination first (none last): "
    "how often and how well each is answered and whether an author should review it.",
    responses=_responses(401, 403, 404),
)
def course_questions(
    session: SessionDep,
    viewer: CurrentUser,
    marts: MartsDep,
    course_id: CourseId,
    flagged: Annotated[
        bool | None, Query(description="true: only questions flagged for review; false: only the others.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> QuestionStatsPage:
    return analytics.course_questions(
        session=session,
        marts=marts,
        viewer=viewer,
        course_id=course_id,
        flagged=flagged,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/learners/{learner_id}",
    response_model=LearnerAnalytics,
    summary="A learner's study over time (the learner, admins)",
    description="A series from `fct_learner_daily` (by default the 30 days ending on the marts' last day), "
    "totals and the current streak.",
    responses=_responses(401, 403, 404, series=True),
)
def learner(
    session: SessionDep,
    viewer: CurrentUser,
    marts: MartsDep,
    learner_id: LearnerId,
    start: From = None,
    end: To = None,
    granularity: GranularityQuery = Granularity.day,
) -> LearnerAnalytics:
    return analytics.learner(
        session=session,
        marts=marts,
        viewer=viewer,
        learner_id=learner_id,
        start=start,
        end=end,
        granularity=granularity,
    )


@router.get(
    "/instructors/{instructor_id}",
    response_model=InstructorAnalytics,
    summary="An instructor's totals (the instructor, admins)",
    responses=_responses(401, 403, 404),
)
def instructor(
    session: SessionDep, viewer: CurrentUser, marts: MartsDep, instructor_id: InstructorId
) -> InstructorAnalytics:
    return analytics.instructor(session=session, marts=marts, viewer=viewer, instructor_id=instructor_id)


@router.get(
    "/instructors/{instructor_id}/courses",
    response_model=CourseSummaryPage,
    summary="An instructor's course summaries (the instructor, admins)",
    responses=_responses(401, 403, 404),
)
def instructor_courses(
    session: SessionDep,
    viewer: CurrentUser,
    marts: MartsDep,
    instructor_id: InstructorId,
    sort: Sort = CourseSort.most_enrollments,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> CourseSummaryPage:
    return analytics.instructor_courses(
        session=session,
        marts=marts,
        viewer=viewer,
        instructor_id=instructor_id,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
