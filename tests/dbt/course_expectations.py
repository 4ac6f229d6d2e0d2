"""The course marts recomputed in Python from the raw OLTP rows and events of a warehouse's public schema.

Each function returns the rows its mart should hold, keyed by the mart's primary key, in the mart's column
order. Rounding follows the marts' documented rules: PostgreSQL turns a double into numeric with 15
significant digits and rounds numeric halves away from zero (ROUND_HALF_UP for these non-negative values).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from tests.dbt.conftest import Warehouse

FOUR_PLACES, TWO_PLACES = Decimal("0.0001"), Decimal("0.01")
MICROSECONDS_PER_DAY = Decimal(86_400_000_000)
SUBMISSIONS = ("passed", "failed", "completed")

Row = tuple[Any, ...]


def as_numeric(value: float) -> Decimal:
    """A double as PostgreSQL casts it to numeric: 15 significant digits."""
    return Decimal(f"{value:.15g}")


def rounded(value: Decimal | None, places: Decimal = FOUR_PLACES) -> Decimal | None:
    return None if value is None else value.quantize(places, ROUND_HALF_UP)


def ratio(part: int, whole: int) -> Decimal | None:
    return rounded(Decimal(part) / Decimal(whole)) if whole else None


def mean(values: list[Decimal]) -> Decimal | None:
    return rounded(sum(values, Decimal(0)) / len(values)) if values else None


@dataclass(frozen=True)
class Event:
    actor_id: uuid.UUID
    occurred_at: datetime
    verb: str
    object_type: str
    object_id: str
    course_id: uuid.UUID | None
    enrollment_id: uuid.UUID | None
    score_scaled: float | None

    @property
    def day(self) -> date:
        return self.occurred_at.astimezone(UTC).date()


@dataclass(frozen=True)
class Enrollment:
    enrollment_id: uuid.UUID
    learner_id: uuid.UUID
    course_id: uuid.UUID
    course_run_id: uuid.UUID | None
    status: str
    outcome: str | None
    enrolled_at: datetime
    completed_at: datetime | None

    @property
    def is_completed(self) -> bool:
        return self.status == "completed" and self.outcome != "fail"

    @property
    def days_to_complete(self) -> Decimal | None:
        if not self.is_completed or self.completed_at is None:
            return None
        elapsed = (self.completed_at - self.enrolled_at) // timedelta(microseconds=1)
        return rounded(Decimal(elapsed) / MICROSECONDS_PER_DAY)


def events(warehouse: Warehouse) -> list[Event]:
    return [
        Event(*row)
        for row in warehouse.rows(
            "select actor_id, occurred_at, verb, object_type, object_id, course_id, registration, "
            "score_scaled from public.learner_events"
        )
    ]


def enrollments(warehouse: Warehouse) -> list[Enrollment]:
    return [
        Enrollment(*row)
        for row in warehouse.rows(
            "select enrollment_id, user_id, course_id, course_run_id, status, outcome, enrolled_at, "
            "completed_at from public.enrollments"
        )
    ]


def lesson_numbers(warehouse: Warehouse) -> dict[uuid.UUID, tuple[uuid.UUID, int, int]]:
    """lesson_id → (course_id, position, number in course order)."""
    by_course: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = defaultdict(list)
    for lesson_id, course_id, position in warehouse.rows(
        "select lesson_id, course_id, position from public.lessons"
    ):
        by_course[course_id].append((position, lesson_id))
    numbered = {}
    for course_id, lessons in by_course.items():
        for number, (position, lesson_id) in enumerate(sorted(lessons), start=1):
            numbered[lesson_id] = (course_id, position, number)
    return numbered


# --- Dimensions -----------------------------------------------------------------------------------------


def dim_courses(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    modules = Counter(course_id for (course_id,) in warehouse.rows("select course_id from public.modules"))
    runs = Counter(course_id for (course_id,) in warehouse.rows("select course_id from public.course_runs"))
    lessons: dict[uuid.UUID, list[tuple[bool, int]]] = defaultdict(list)
    for course_id, required, minutes in warehouse.rows(
        "select course_id, is_required, estimated_minutes from public.lessons"
    ):
        lessons[course_id].append((required, minutes))
    slugs = dict(warehouse.rows("select skill_id, slug from public.skills"))
    skills: dict[uuid.UUID, list[str]] = defaultdict(list)
    for course_id, skill_id in warehouse.rows("select course_id, skill_id from public.course_skills"):
        skills[course_id].append(slugs[skill_id])
    expected = {}
    for course_id, *described in warehouse.rows(
        "select course_id, title, subject, level, status, instructor_id, provider, published_at, created_at "
        "from public.courses"
    ):
        expected[course_id] = (
            course_id,
            *described,
            modules[course_id],
            len(lessons[course_id]),
            sum(required for required, _ in lessons[course_id]),
            sum(minutes for _, minutes in lessons[course_id]),
            len(skills[course_id]),
            ",".join(sorted(skills[course_id])),
            runs[course_id],
        )
    return expected


def dim_lessons(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    module_positions = dict(warehouse.rows("select module_id, position from public.modules"))
    numbers = lesson_numbers(warehouse)
    return {
        lesson_id: (
            lesson_id,
            course_id,
            module_id,
            module_positions.get(module_id),
            position,
            numbers[lesson_id][2],
            title,
            activity_type,
            minutes,
            required,
            created,
        )
        for lesson_id, course_id, module_id, position, title, activity_type, minutes, required, created in (
            warehouse.rows(
                "select lesson_id, course_id, module_id, position, title, activity_type, estimated_minutes, "
                "is_required, created_at from public.lessons"
            )
        )
    }


def dim_skills(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    skills = {
        row[0]: row
        for row in warehouse.rows(
            "select skill_id, slug, name, parent_skill_id, created_at from public.skills"
        )
    }
    courses = Counter(skill_id for (skill_id,) in warehouse.rows("select skill_id from public.course_skills"))
    questions = Counter(
        skill_id
        for (skill_id,) in warehouse.rows("select skill_id from public.questions where skill_id is not null")
    )
    expected = {}
    for skill_id, slug, name, parent_id, created_at in skills.values():
        parent = skills.get(parent_id)
        expected[skill_id] = (
            skill_id,
            slug,
            name,
            parent_id,
            parent and parent[1],
            parent and parent[2],
            courses[skill_id],
            questions[skill_id],
            created_at,
        )
    return expected


def dim_learners(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    attributes = dict(warehouse.rows("select user_id, attributes from public.learner_profiles"))
    expected = {}
    for user_id, role, created_at in warehouse.rows("select user_id, role, created_at from public.users"):
        profile = attributes.get(user_id) or {}
        disability = profile.get("disability")
        expected[user_id] = (
            user_id,
            role,
            created_at,
            *(
                profile.get(name)
                for name in ("gender", "region", "highest_education", "imd_band", "age_band")
            ),
            None if disability is None else bool(disability),
        )
    return expected


def instructors(warehouse: Warehouse) -> dict[uuid.UUID, tuple[str, datetime]]:
    """instructor_id → (role, created_at): instructors by role, and anyone a course names."""
    teaching = {
        instructor_id
        for (instructor_id,) in warehouse.rows(
            "select instructor_id from public.courses where instructor_id is not null"
        )
    }
    return {
        user_id: (role, created_at)
        for user_id, role, created_at in warehouse.rows("select user_id, role, created_at from public.users")
        if role == "instructor" or user_id in teaching
    }


def dim_instructors(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    courses = warehouse.rows("select instructor_id, status from public.courses")
    return {
        instructor_id: (
            instructor_id,
            role,
            created_at,
            sum(teacher == instructor_id for teacher, _ in courses),
            sum(teacher == instructor_id and status == "published" for teacher, status in courses),
        )
        for instructor_id, (role, created_at) in instructors(warehouse).items()
    }


def dim_course_runs(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    return {
        run_id: (
            run_id,
            course_id,
            code,
            starts_on,
            length,
            None if length is None else starts_on + timedelta(days=length - 1),
            created_at,
        )
        for run_id, course_id, code, starts_on, length, created_at in warehouse.rows(
            "select course_run_id, course_id, code, starts_on, length_days, created_at "
            "from public.course_runs"
        )
    }


# --- Course facts ---------------------------------------------------------------------------------------


def fct_course_daily(warehouse: Warehouse) -> dict[tuple[uuid.UUID, date], Row]:
    by_day: dict[tuple[uuid.UUID, date], list[Event]] = defaultdict(list)
    for event in events(warehouse):
        if event.course_id is not None:
            by_day[(event.course_id, event.day)].append(event)
    expected = {}
    for (course_id, day), happened in by_day.items():

        def count(verb: str | tuple[str, ...], object_type: str, happened: list[Event] = happened) -> int:
            verbs = (verb,) if isinstance(verb, str) else verb
            return sum(e.verb in verbs and e.object_type == object_type for e in happened)

        submissions = [e for e in happened if e.verb in SUBMISSIONS and e.object_type == "assessment"]
        scores = [as_numeric(e.score_scaled) for e in submissions if e.score_scaled is not None]
        expected[(course_id, day)] = (
            course_id,
            day,
            len({e.actor_id for e in happened}),
            count("registered", "course"),
            count("unregistered", "course"),
            count("completed", "lesson"),
            count("completed", "course"),
            len(submissions),
            count("passed", "assessment"),
            len(scores),
            mean(scores),
        )
    return expected


def platform_daily(happened: list[Event]) -> list[Row]:
    """fct_platform_daily's rows, in day order, from every event of the history."""
    by_day: dict[date, list[Event]] = defaultdict(list)
    first_day: dict[uuid.UUID, date] = {}
    for event in happened:
        by_day[event.day].append(event)
        first_day[event.actor_id] = min(event.day, first_day.get(event.actor_id, event.day))
    actors_by_day = {day: {e.actor_id for e in day_events} for day, day_events in by_day.items()}
    new_by_day = Counter(first_day.values())

    def active(day: date, days: int) -> int:
        return len(set().union(*(actors_by_day.get(day - timedelta(days=n), set()) for n in range(days))))

    rows = []
    day, last = min(by_day), max(by_day)
    while day <= last:
        day_events = by_day.get(day, [])

        def count(verb: str | tuple[str, ...], object_type: str, day_events: list[Event] = day_events) -> int:
            verbs = (verb,) if isinstance(verb, str) else verb
            return sum(e.verb in verbs and e.object_type == object_type for e in day_events)

        dau, wau, mau = active(day, 1), active(day, 7), active(day, 30)
        quiz_attempts, quiz_passes = count(SUBMISSIONS, "assessment"), count("passed", "assessment")
        rows.append(
            (
                day,
                dau,
                wau,
                mau,
                ratio(dau, mau),
                new_by_day.get(day, 0),
                count("registered", "course"),
                count("unregistered", "course"),
                count("completed", "lesson"),
                count("completed", "course"),
                quiz_attempts,
                quiz_passes,
                ratio(quiz_passes, quiz_attempts),
                len({e.course_id for e in day_events if e.course_id is not None}),
            )
        )
        day += timedelta(days=1)
    return rows


def fct_platform_daily(warehouse: Warehouse) -> dict[date, Row]:
    return {row[0]: row for row in platform_daily(events(warehouse))}


def fct_course_summary(warehouse: Warehouse) -> dict[tuple[uuid.UUID, uuid.UUID | None], Row]:
    """A row per course (run None) over all its enrollments and per run over the run's."""
    scopes: list[tuple[uuid.UUID, uuid.UUID | None]] = [
        (course_id, None) for (course_id,) in warehouse.rows("select course_id from public.courses")
    ]
    scopes += [
        (course_id, run_id)
        for course_id, run_id in warehouse.rows("select course_id, course_run_id from public.course_runs")
    ]
    taken = enrollments(warehouse)
    run_of = {e.enrollment_id: e.course_run_id for e in taken}

    def scopes_of(course_id: uuid.UUID, run_id: uuid.UUID | None) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        return [(course_id, None)] + ([(course_id, run_id)] if run_id is not None else [])

    enrolled: dict[tuple[uuid.UUID, uuid.UUID | None], list[Enrollment]] = defaultdict(list)
    for enrollment in taken:
        for scope in scopes_of(enrollment.course_id, enrollment.course_run_id):
            enrolled[scope].append(enrollment)

    course_events = [e for e in events(warehouse) if e.course_id is not None]
    as_of = max((e.day for e in course_events), default=None)
    active: dict[tuple[uuid.UUID, uuid.UUID | None], set[uuid.UUID]] = defaultdict(set)
    for event in course_events:
        if as_of is not None and as_of - timedelta(days=29) <= event.day:
            assert event.course_id is not None
            run_id = None if event.enrollment_id is None else run_of.get(event.enrollment_id)
            for scope in scopes_of(event.course_id, run_id):
                active[scope].add(event.actor_id)

    course_of = dict(warehouse.rows("select assessment_id, course_id from public.assessments"))
    scores: dict[tuple[uuid.UUID, uuid.UUID | None], list[Decimal]] = defaultdict(list)
    for assessment_id, enrollment_id, score in warehouse.rows(
        "select assessment_id, enrollment_id, score_scaled from public.assessment_attempts "
        "where status = 'graded' and score_scaled is not null"
    ):
        for scope in scopes_of(course_of[assessment_id], run_of.get(enrollment_id)):
            scores[scope].append(as_numeric(score))

    stars: dict[uuid.UUID, list[int]] = defaultdict(list)
    for course_id, given in warehouse.rows(
        "select course_id, stars from public.course_reviews where hidden_at is null"
    ):
        stars[course_id].append(given)

    def ratings(course_id: uuid.UUID, run_id: uuid.UUID | None) -> tuple[Any, ...]:
        """review_count, average_rating and the count per star: the course's row only."""
        if run_id is not None:
            return (None,) * 7
        given = stars[course_id]
        average = rounded(Decimal(sum(given)) / len(given), TWO_PLACES) if given else None
        return (len(given), average, *(given.count(n) for n in range(1, 6)))

    expected = {}
    for scope in scopes:
        group = enrolled[scope]
        completions = [e for e in group if e.is_completed]
        drops = sum(e.status == "dropped" for e in group)
        days = [e.days_to_complete for e in completions if e.days_to_complete is not None]
        expected[scope] = (
            *scope,
            as_of,
            len(group),
            len({e.learner_id for e in group}),
            len(active[scope]),
            len(completions),
            ratio(len(completions), len(group)),
            rounded(median(days), TWO_PLACES) if days else None,
            drops,
            ratio(drops, len(group)),
            len(scores[scope]),
            mean(scores[scope]),
            *ratings(*scope),
        )
    return expected


def fct_course_lesson_funnel(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    numbers = lesson_numbers(warehouse)
    module_of = dict(warehouse.rows("select lesson_id, module_id from public.lessons"))
    by_text = {str(lesson_id): lesson_id for lesson_id in numbers}
    reached: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    completed: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    # (enrollment, course) → lesson → (its latest event, its position)
    latest: dict[tuple[uuid.UUID, uuid.UUID], dict[uuid.UUID, tuple[datetime, int]]] = defaultdict(dict)
    learner_of: dict[uuid.UUID, uuid.UUID] = {}
    for event in events(warehouse):
        lesson_id = by_text.get(event.object_id) if event.object_type == "lesson" else None
        if lesson_id is None:
            continue
        course_id, position, _ = numbers[lesson_id]
        reached[lesson_id].add(event.actor_id)
        if event.verb == "completed":
            completed[lesson_id].add(event.actor_id)
        if event.enrollment_id is not None:
            seen = latest[(event.enrollment_id, course_id)]
            seen[lesson_id] = max(
                seen.get(lesson_id, (event.occurred_at, position)), (event.occurred_at, position)
            )
            learner_of[event.enrollment_id] = event.actor_id
    dropped = {e.enrollment_id: e.course_id for e in enrollments(warehouse) if e.status == "dropped"}
    left: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for (enrollment_id, course_id), seen in latest.items():
        if dropped.get(enrollment_id) == course_id:
            last_lesson = max(seen, key=lambda lesson_id: seen[lesson_id])
            left[last_lesson].add(learner_of[enrollment_id])
    return {
        lesson_id: (
            course_id,
            lesson_id,
            number,
            position,
            module_of[lesson_id],
            len(reached[lesson_id]),
            len(completed[lesson_id]),
            len(left[lesson_id]),
        )
        for lesson_id, (course_id, position, number) in numbers.items()
    }


def fct_instructor_summary(warehouse: Warehouse) -> dict[uuid.UUID, Row]:
    courses = warehouse.rows("select course_id, instructor_id, status from public.courses")
    teacher_of = {course_id: instructor_id for course_id, instructor_id, _ in courses}
    taught: dict[uuid.UUID, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments(warehouse):
        teacher = teacher_of[enrollment.course_id]
        if teacher is not None:
            taught[teacher].append(enrollment)
    expected = {}
    for instructor_id in instructors(warehouse):
        group = taught[instructor_id]
        completions = sum(e.is_completed for e in group)
        expected[instructor_id] = (
            instructor_id,
            sum(teacher == instructor_id for _, teacher, _ in courses),
            sum(teacher == instructor_id and status == "published" for _, teacher, status in courses),
            len(group),
            len({e.learner_id for e in group}),
            completions,
            ratio(completions, len(group)),
        )
    return expected
