"""What the analytics routes answer: series of periods with totals, summaries and pages of mart rows.

Figures come from the dbt marts as of their last build (``as_of_date`` / the range's last day), never from
the live tables. Rates are shares between 0 and 1 rounded to 4 places, null when there is nothing to divide
by; a mean over days is rounded to 2 places.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app_api.analytics.periods import Granularity
from app_api.common.pagination import Page

MEAN_OF_DAYS = "For a week or a month, the mean over the period's days (quiet days count as 0)."
AT_LAST_DAY = "On the period's last day."


class Span(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="First day of the range (UTC).")
    to: date = Field(description="Last day of the range (UTC), included.")
    granularity: Granularity
    days: int = Field(description="Days in the range.")


class PlatformFigures(BaseModel):
    dau: float = Field(description=f"Daily active actors. {MEAN_OF_DAYS}")
    wau: int = Field(
        description=f"Actors active in the 7 days ending on the period's last day. {AT_LAST_DAY}"
    )
    mau: int = Field(
        description=f"Actors active in the 30 days ending on the period's last day. {AT_LAST_DAY}"
    )
    new_learners: int = Field(description="Actors whose first event ever fell in the period.")
    enrollments: int = Field(description="Course registrations in the period.")
    drops: int = Field(description="Course unregistrations in the period.")
    lesson_completions: int = Field(description="Lessons completed in the period.")
    course_completions: int = Field(description="Courses completed in the period.")
    quiz_attempts: int = Field(description="Submitted assessment attempts in the period.")
    quiz_passes: int = Field(description="Passed assessment attempts in the period.")
    quiz_pass_rate: float | None = Field(description="quiz_passes / quiz_attempts; null without attempts.")
    active_courses: float = Field(description=f"Courses with any learner event per day. {MEAN_OF_DAYS}")


class PlatformPeriod(PlatformFigures):
    start: date = Field(description="The period's first day (a Monday, a month's first, or the range's).")
    end: date = Field(description="The period's last day, cut to the range.")
    days: int


class PlatformChange(BaseModel):
    """% change of each total against the previous period of the same length (null: no such period in the
    marts, or a previous value of 0)."""

    dau: float | None
    wau: float | None
    mau: float | None
    new_learners: float | None = Field(description="User growth: the % change in new learners.")
    enrollments: float | None
    drops: float | None
    lesson_completions: float | None
    course_completions: float | None
    quiz_attempts: float | None
    quiz_passes: float | None
    quiz_pass_rate: float | None = Field(description="The % change of the rate itself (not in points).")
    active_courses: float | None


class PlatformSeries(BaseModel):
    range: Span
    periods: list[PlatformPeriod]
    totals: PlatformFigures = Field(description="Over the whole range, each figure as a period's would be.")
    previous_range: Span | None = Field(
        description="The period of the same length ending the day before the range; null when the marts do "
        "not hold all of it."
    )
    previous_totals: PlatformFigures | None
    change_percent: PlatformChange
    first_day: date = Field(description="First day the marts hold.")
    last_day: date = Field(description="Last day the marts hold.")


class CourseRatings(BaseModel):
    review_count: int = Field(description="Reviews of the course that are not hidden.")
    average_rating: float | None = Field(description="Mean stars (1-5) of those reviews; null without any.")
    stars: dict[str, int] = Field(description='How many reviews gave each number of stars, "1" to "5".')


class CourseSummary(BaseModel):
    enrollments: int
    learners: int = Field(description="Distinct learners among the enrollments.")
    active_learners_last_30_days: int = Field(
        description="Distinct learners active in the 30 days to as_of_date."
    )
    completions: int
    completion_rate: float | None = Field(description="completions / enrollments.")
    median_days_to_complete: float | None = Field(description="Median days from enrollment to completion.")
    drops: int
    dropout_rate: float | None = Field(description="drops / enrollments.")
    graded_attempts: int
    average_assessment_score: float | None = Field(description="Mean scaled score (0-1) of graded attempts.")
    ratings: CourseRatings | None = Field(
        default=None, description="Learners' reviews of the course (`fct_course_summary`); null for a run."
    )


class CourseSummaryRead(CourseSummary):
    course_id: uuid.UUID
    title: str
    as_of_date: date | None = Field(description="The last day of course activity the marts were built to.")


class CourseSummaryPage(Page[CourseSummaryRead]):
    pass


class CourseRunSummary(CourseSummary):
    course_run_id: uuid.UUID
    course_run_code: str | None
    starts_on: date | None
    ends_on: date | None


class CourseFigures(BaseModel):
    active_learners: float = Field(
        description=f"Distinct learners active in the course per day. {MEAN_OF_DAYS}"
    )
    enrollments: int
    drops: int
    lesson_completions: int
    completions: int = Field(description="Course completions.")
    assessment_attempts: int
    assessments_passed: int
    pass_rate: float | None = Field(description="assessments_passed / assessment_attempts.")
    average_assessment_score: float | None = Field(
        description="Mean scaled score of the scored attempts in the period (each day's mean weighted by its "
        "scored attempts)."
    )


class CoursePeriod(CourseFigures):
    start: date
    end: date
    days: int


class CourseAnalytics(BaseModel):
    course_id: uuid.UUID
    title: str
    as_of_date: date | None
    summary: CourseSummary = Field(description="Over every enrollment of the course (zeros before any).")
    runs: list[CourseRunSummary] = Field(
        description="The same per run of the course, by start; empty without runs."
    )
    range: Span
    periods: list[CoursePeriod]
    totals: CourseFigures


class FunnelStep(BaseModel):
    lesson_id: uuid.UUID
    lesson_number: int = Field(description="1-based place of the lesson in course order.")
    title: str | None
    module_id: uuid.UUID | None
    learners_reached: int = Field(description="Distinct learners with any event on the lesson.")
    learners_completed: int = Field(description="Distinct learners who completed the lesson.")
    learners_left_after: int = Field(
        description="Learners whose dropped enrollment last reached this lesson: where they left the course."
    )
    completion_share: float | None = Field(description="learners_completed / learners_reached.")


class FunnelPage(Page[FunnelStep]):
    course_id: uuid.UUID


class InstructorAnalytics(BaseModel):
    instructor_id: uuid.UUID
    courses: int = Field(description="Courses naming them as instructor.")
    published_courses: int
    enrollments: int = Field(description="Enrollments in their courses.")
    learners: int = Field(description="Distinct learners across their courses.")
    completions: int
    completion_rate: float | None = Field(description="completions / enrollments.")


class QuestionStats(BaseModel):
    question_id: uuid.UUID
    course_id: uuid.UUID
    skill_id: uuid.UUID
    question_type: str
    difficulty: float | None = Field(
        description="The item bank's difficulty (IRT b), not computed from answers."
    )
    attempts: int = Field(description="Answers to the question, retakes included.")
    learners: int = Field(description="Distinct learners who answered it.")
    correct_answers: int
    correct_share: float = Field(description="correct_answers / attempts (classical item difficulty p).")
    discrimination: float | None = Field(
        description="Point-biserial correlation of correctness with the rest of the attempt's score "
        "(-1 to 1); null when undefined."
    )
    review_flag: bool = Field(description="Whether an author should review the question.")
    review_reason: str | None = Field(
        description="negative discrimination, too hard, too easy or low discrimination; null when not "
        "flagged."
    )


class QuestionStatsPage(Page[QuestionStats]):
    course_id: uuid.UUID


class LearnerFigures(BaseModel):
    active_days: int = Field(description="Days with any learning event.")
    events: int = Field(description="Learning events.")
    lessons_completed: int
    answers: int = Field(description="Questions answered.")
    correct_answers: int
    correct_share: float | None = Field(description="correct_answers / answers.")
    minutes: float = Field(description="Minutes of study (gaps between events within a session).")
    courses_active: float = Field(description=f"Courses studied per day. {MEAN_OF_DAYS}")
    streak_days: int = Field(
        description=f"Consecutive active days ending on the period's last day. {AT_LAST_DAY}"
    )


class LearnerPeriod(LearnerFigures):
    start: date
    end: date
    days: int


class LearnerAnalytics(BaseModel):
    learner_id: uuid.UUID
    range: Span
    periods: list[LearnerPeriod]
    totals: LearnerFigures = Field(description="Over the whole range; streak_days on its last day.")
    last_active_on: date | None = Field(description="The learner's last day with a learning event.")
    current_streak_days: int = Field(
        description="Consecutive active days up to the learner's last active day, while that day is the "
        "marts' last day or the day before (the current day may not be over); else 0."
    )
    first_day: date = Field(description="First day the marts hold.")
    last_day: date = Field(description="Last day the marts hold.")
