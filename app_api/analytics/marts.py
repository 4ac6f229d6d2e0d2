"""The dbt marts the analytics API reads, as SQLAlchemy table clauses in the configured schema.

The marts are dbt's (``dbt/models/marts``), not the API's: no ORM classes, no migrations, only the columns
read here. They live in the same database as the OLTP tables, in ``Settings.analytics_schema`` (the schema
the pipeline's dbt profile writes). Before the pipeline has built them, reads answer ``Unavailable`` (503).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import TableClause, column, func, select, table, text
from sqlalchemy.orm import Session

from skillstudio.errors import Unavailable

# The pipeline runs daily and on fresh events; a client asking before it has run may retry this much later.
RETRY_AFTER_SECONDS = 300

PLATFORM_DAILY_COLUMNS = (
    "activity_date",
    "dau",
    "wau",
    "mau",
    "new_learners",
    "enrollments",
    "drops",
    "lesson_completions",
    "course_completions",
    "quiz_attempts",
    "quiz_passes",
    "active_courses",
)
COURSE_DAILY_COLUMNS = (
    "course_id",
    "activity_date",
    "active_learners",
    "enrollments",
    "drops",
    "lesson_completions",
    "completions",
    "assessment_attempts",
    "assessments_passed",
    "scored_assessment_attempts",
    "average_assessment_score",
)
COURSE_SUMMARY_COLUMNS = (
    "course_id",
    "course_run_id",
    "as_of_date",
    "enrollments",
    "learners",
    "active_learners_last_30_days",
    "completions",
    "completion_rate",
    "median_days_to_complete",
    "drops",
    "dropout_rate",
    "graded_attempts",
    "average_assessment_score",
    "review_count",
    "average_rating",
    *(f"rating_{stars}_count" for stars in range(1, 6)),
)
FUNNEL_COLUMNS = (
    "course_id",
    "lesson_id",
    "lesson_number",
    "lesson_position",
    "module_id",
    "learners_reached",
    "learners_completed",
    "learners_left_after",
)
LESSON_COLUMNS = ("lesson_id", "lesson_title")
COURSE_COLUMNS = ("course_id", "course_title")
COURSE_RUN_COLUMNS = ("course_run_id", "course_id", "course_run_code", "starts_on", "ends_on")
QUESTION_STATS_COLUMNS = (
    "question_id",
    "course_id",
    "skill_id",
    "question_type",
    "difficulty",
    "attempts",
    "learners",
    "correct_answers",
    "correct_share",
    "discrimination",
    "review_flag",
    "review_reason",
)
LEARNER_DAILY_COLUMNS = (
    "learner_id",
    "activity_date",
    "events",
    "lessons_completed",
    "answers",
    "correct_answers",
    "minutes",
    "courses_active",
    "current_streak_days",
)
INSTRUCTOR_SUMMARY_COLUMNS = (
    "instructor_id",
    "courses",
    "published_courses",
    "enrollments",
    "learners",
    "completions",
    "completion_rate",
)


@dataclass(frozen=True)
class Marts:
    schema: str
    platform_daily: TableClause
    course_daily: TableClause
    course_summary: TableClause
    lesson_funnel: TableClause
    lessons: TableClause
    courses: TableClause
    course_runs: TableClause
    instructor_summary: TableClause
    question_stats: TableClause
    learner_daily: TableClause


def _table(name: str, columns: tuple[str, ...], schema: str) -> TableClause:
    return table(name, *(column(name) for name in columns), schema=schema)


@lru_cache(maxsize=4)
def marts_in(schema: str) -> Marts:
    return Marts(
        schema=schema,
        platform_daily=_table("fct_platform_daily", PLATFORM_DAILY_COLUMNS, schema),
        course_daily=_table("fct_course_daily", COURSE_DAILY_COLUMNS, schema),
        course_summary=_table("fct_course_summary", COURSE_SUMMARY_COLUMNS, schema),
        lesson_funnel=_table("fct_course_lesson_funnel", FUNNEL_COLUMNS, schema),
        lessons=_table("dim_lessons", LESSON_COLUMNS, schema),
        courses=_table("dim_courses", COURSE_COLUMNS, schema),
        course_runs=_table("dim_course_runs", COURSE_RUN_COLUMNS, schema),
        instructor_summary=_table("fct_instructor_summary", INSTRUCTOR_SUMMARY_COLUMNS, schema),
        question_stats=_table("fct_question_stats", QUESTION_STATS_COLUMNS, schema),
        learner_daily=_table("fct_learner_daily", LEARNER_DAILY_COLUMNS, schema),
    )


def require(session: Session, *tables: TableClause) -> None:
    """``Unavailable`` (503, with Retry-After) unless every table exists: the pipeline has not built them."""
    names = [f"{clause.schema}.{clause.name}" for clause in tables]
    found: list[str] = list(
        session.execute(
            text(
                "select name from unnest(cast(:names as text[])) as name where to_regclass(name) is not null"
            ),
            {"names": names},
        ).scalars()
    )
    missing = sorted(set(names) - set(found))
    if missing:
        raise Unavailable(
            f"Analytics are not built yet on this database (no {', '.join(missing)}): the pipeline that "
            "builds the marts has not run. Retry once it has.",
            retry_after=RETRY_AFTER_SECONDS,
        )


def day_bounds(session: Session, daily: TableClause) -> tuple[date, date]:
    """The first and last day ``daily`` holds; ``Unavailable`` while it holds none."""
    first, last = session.execute(
        select(func.min(daily.c.activity_date), func.max(daily.c.activity_date))
    ).one()
    if first is None or last is None:
        raise Unavailable(
            f"Analytics hold no day yet ({daily.schema}.{daily.name} is empty): no learner event has been "
            "processed. Retry once events have come in and the pipeline has run.",
            retry_after=RETRY_AFTER_SECONDS,
        )
    assert isinstance(first, date) and isinstance(last, date)
    return first, last
