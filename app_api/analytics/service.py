"""Analytics for admins, instructors and learners, read from the dbt marts only.

Who may read what is decided first, on the live tables through the owning domains' services (a course's
instructor from ``courses.service``, an account from ``users.service``): 403 for another's data, 404 for
an unknown course or instructor. Only then are the marts read: 503 while the pipeline has not built them,
422 for a range outside the days they hold. Figures never come from raw events or OLTP tables.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.analytics import lists, series
from app_api.analytics.lists import CourseSort
from app_api.analytics.marts import Marts, day_bounds, marts_in, require
from app_api.analytics.periods import Granularity
from app_api.analytics.schemas import (
    CourseAnalytics,
    CourseSummaryPage,
    FunnelPage,
    InstructorAnalytics,
    LearnerAnalytics,
    PlatformSeries,
    QuestionStatsPage,
)
from app_api.courses import service as courses
from app_api.users import service as users
from skillstudio.errors import Forbidden, NotFound
from skillstudio.web.principals import Principal


def platform(
    *, session: Session, marts: Marts, start: date | None, end: date | None, granularity: Granularity
) -> PlatformSeries:
    require(session, marts.platform_daily)
    return series.platform_series(session, marts, start=start, end=end, granularity=granularity)


def platform_last_days(*, session: Session, marts: Marts, days: int) -> PlatformSeries:
    """The last ``days`` days the marts hold (fewer when they hold fewer): the dashboards' period selector.

    A year is shown by ISO week, shorter periods by day, so that a chart never has hundreds of points.
    """
    require(session, marts.platform_daily)
    first, last = day_bounds(session, marts.platform_daily)
    start = max(first, last - timedelta(days=days - 1))
    granularity = Granularity.week if days > 90 else Granularity.day
    return series.platform_series(session, marts, start=start, end=last, granularity=granularity)


def top_instructors(*, session: Session, marts: Marts, limit: int) -> list[InstructorAnalytics]:
    """Instructors with the most enrollments in their courses (``fct_instructor_summary``)."""
    table = marts.instructor_summary
    require(session, table)
    rows = session.execute(
        select(table).order_by(table.c.enrollments.desc(), table.c.instructor_id).limit(limit)
    ).mappings()
    return [InstructorAnalytics(**row) for row in rows]


def daily_enrollments(
    *, session: Session, marts: Marts, viewer: Principal, course_ids: list[uuid.UUID], days: int
) -> dict[uuid.UUID, dict[date, int]]:
    """Enrollments per day of each course over the last ``days`` days ``fct_course_daily`` holds, in one
    query (a dashboard comparing courses); an instructor gets only the courses they teach."""
    if not viewer.is_admin:
        taught = set(courses.courses_taught_by(session, instructor_id=viewer.user_id))
        course_ids = [course_id for course_id in course_ids if course_id in taught]
    require(session, marts.course_daily)
    daily = marts.course_daily
    found: dict[uuid.UUID, dict[date, int]] = {course_id: {} for course_id in course_ids}
    if not course_ids:
        return found
    _, last = day_bounds(session, daily)
    rows = session.execute(
        select(daily.c.course_id, daily.c.activity_date, daily.c.enrollments).where(
            daily.c.course_id.in_(course_ids), daily.c.activity_date > last - timedelta(days=days)
        )
    )
    for row in rows:
        found[row.course_id][row.activity_date] = int(row.enrollments)
    return found


def marts_of(schema: str) -> Marts:
    """The marts' tables in ``schema`` (settings.analytics_schema), for callers outside this domain."""
    return marts_in(schema)


def _instructed_course(session: Session, viewer: Principal, course_id: uuid.UUID) -> courses.CourseFacts:
    course = courses.course_facts(session, course_id=course_id)
    if course is None:
        raise NotFound(f"There is no course {course_id}.")
    if not (viewer.is_admin or course.instructor_id == viewer.user_id):
        raise Forbidden("A course's analytics are for its instructor and admins only.")
    return course


def course_list(
    *, session: Session, marts: Marts, viewer: Principal, sort: CourseSort, cursor: str | None, limit: int
) -> CourseSummaryPage:
    """Every course's summary for admins; an instructor's own courses for them (learners never get here)."""
    taught = None if viewer.is_admin else courses.courses_taught_by(session, instructor_id=viewer.user_id)
    require(session, marts.course_summary, marts.courses)
    return lists.course_summaries(
        session,
        marts,
        list_name="analytics-courses",
        course_ids=taught,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


def course_detail(
    *,
    session: Session,
    marts: Marts,
    viewer: Principal,
    course_id: uuid.UUID,
    start: date | None,
    end: date | None,
    granularity: Granularity,
) -> CourseAnalytics:
    course = _instructed_course(session, viewer, course_id)
    require(session, marts.course_daily, marts.course_summary, marts.course_runs)
    span, periods, totals = series.course_series(
        session, marts, course_id=course_id, start=start, end=end, granularity=granularity
    )
    as_of, summary, runs = lists.course_summary(session, marts, course_id=course_id)
    return CourseAnalytics(
        course_id=course_id,
        title=course.title,
        as_of_date=as_of,
        summary=summary,
        runs=runs,
        range=span,
        periods=periods,
        totals=totals,
    )


def course_funnel(
    *, session: Session, marts: Marts, viewer: Principal, course_id: uuid.UUID, cursor: str | None, limit: int
) -> FunnelPage:
    _instructed_course(session, viewer, course_id)
    require(session, marts.lesson_funnel, marts.lessons)
    return lists.lesson_funnel(session, marts, course_id=course_id, cursor=cursor, limit=limit)


def course_questions(
    *,
    session: Session,
    marts: Marts,
    viewer: Principal,
    course_id: uuid.UUID,
    flagged: bool | None,
    cursor: str | None,
    limit: int,
) -> QuestionStatsPage:
    _instructed_course(session, viewer, course_id)
    require(session, marts.question_stats)
    return lists.question_stats(
        session, marts, course_id=course_id, flagged=flagged, cursor=cursor, limit=limit
    )


def learner(
    *,
    session: Session,
    marts: Marts,
    viewer: Principal,
    learner_id: uuid.UUID,
    start: date | None,
    end: date | None,
    granularity: Granularity,
) -> LearnerAnalytics:
    # Checked before the lookup, so a 404 never tells a stranger that an account exists.
    if not viewer.can_act_for(learner_id):
        raise Forbidden("A learner's analytics are for them and admins only.")
    users.get_user(session=session, user_id=learner_id)
    require(session, marts.learner_daily)
    return series.learner_series(
        session, marts, learner_id=learner_id, start=start, end=end, granularity=granularity
    )


def _instructor(session: Session, viewer: Principal, instructor_id: uuid.UUID) -> str:
    """The instructor's role, once the viewer may see them (themselves, admins) and they exist."""
    # Checked before the lookup, so a 404 never tells a stranger that an account exists.
    if not viewer.can_act_for(instructor_id):
        raise Forbidden("An instructor's analytics are for them and admins only.")
    return users.get_user(session=session, user_id=instructor_id).role


def _not_an_instructor(instructor_id: uuid.UUID) -> NotFound:
    return NotFound(f"User {instructor_id} is not an instructor and teaches no course.")


def instructor(
    *, session: Session, marts: Marts, viewer: Principal, instructor_id: uuid.UUID
) -> InstructorAnalytics:
    role = _instructor(session, viewer, instructor_id)
    table = marts.instructor_summary
    require(session, table)
    row = (
        session.execute(select(table).where(table.c.instructor_id == instructor_id)).mappings().one_or_none()
    )
    if row is not None:
        return InstructorAnalytics(**row)
    if role != "instructor":
        raise _not_an_instructor(instructor_id)
    # An instructor the marts have not seen yet (made one since the pipeline last ran) has taught nobody.
    return InstructorAnalytics(
        instructor_id=instructor_id,
        courses=0,
        published_courses=0,
        enrollments=0,
        learners=0,
        completions=0,
        completion_rate=None,
    )


def instructor_courses(
    *,
    session: Session,
    marts: Marts,
    viewer: Principal,
    instructor_id: uuid.UUID,
    sort: CourseSort,
    cursor: str | None,
    limit: int,
) -> CourseSummaryPage:
    role = _instructor(session, viewer, instructor_id)
    taught = courses.courses_taught_by(session, instructor_id=instructor_id)
    if role != "instructor" and not taught:
        raise _not_an_instructor(instructor_id)
    require(session, marts.course_summary, marts.courses)
    return lists.course_summaries(
        session,
        marts,
        list_name="instructor-courses",
        course_ids=taught,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
