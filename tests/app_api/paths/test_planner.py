"""The path planner on small catalogue graphs with known answers (pure: no database)."""

from __future__ import annotations

import uuid
from datetime import date

from app_api.paths.planner import CatalogueCourse, CatalogueModule, plan_path

START = date(2027, 1, 4)  # a Monday
SQL, PY, STATS = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NAMES = {SQL: "SQL", PY: "Python", STATS: "Statistics"}


def course(
    title: str, level: str, skills: set[uuid.UUID], *, minutes: int = 600, modules: int = 0,
    requires: tuple[CatalogueCourse, ...] = (),
) -> CatalogueCourse:  # fmt: skip
    per_module = minutes // modules if modules else 0
    return CatalogueCourse(
        course_id=uuid.uuid4(), title=title, level=level, skill_ids=frozenset(skills),
        prerequisite_ids=frozenset(c.course_id for c in requires),
        modules=tuple(CatalogueModule(uuid.uuid4(), f"{title} {i + 1}", per_module) for i in range(modules)),
        minutes=minutes,
    )  # fmt: skip


def plan(courses: list[CatalogueCourse], levels: dict, targets: dict, **kwargs: object):  # type: ignore[no-untyped-def]
    options = {"completed": set(), "hours_per_week": 5.0, "start": START, "deadline": date(2027, 6, 1)}
    options.update(kwargs)
    return plan_path(
        catalogue={c.course_id: c for c in courses}, skill_names=NAMES, levels=levels, targets=targets,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip


def titles(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [step.title for step in result.steps]


def test_easier_to_harder_with_prerequisites_in_topological_order_and_reasons() -> None:
    basics = course("SQL Basics", "beginner", {SQL})
    joins = course("SQL Joins", "intermediate", {SQL}, requires=(basics,))
    advanced = course("Advanced SQL", "advanced", {SQL}, requires=(joins,))
    python = course("Python Intro", "beginner", {PY})
    result = plan([advanced, joins, basics, python], {}, {SQL: 8, PY: 3})
    assert titles(result) == ["Python Intro", "SQL Basics", "SQL Joins", "Advanced SQL"]
    reasons = {step.title: step.reasons for step in result.steps}
    assert reasons["SQL Basics"] == ["closes your gap in SQL: level 1 → 4", "prerequisite of SQL Joins"]
    assert reasons["SQL Joins"] == ["closes your gap in SQL: level 4 → 7", "prerequisite of Advanced SQL"]
    assert reasons["Advanced SQL"] == ["closes your gap in SQL: level 7 → 8"]
    assert reasons["Python Intro"] == ["closes your gap in Python: level 1 → 3"]


def test_a_prerequisite_the_learner_has_mastered_or_completed_is_skipped() -> None:
    basics = course("SQL Basics", "beginner", {SQL})
    stats = course("Stats 101", "beginner", {STATS})
    advanced = course("Advanced SQL", "advanced", {SQL}, requires=(basics, stats))
    # SQL at 7.5 masters the beginner course (top 4); Stats 101 was completed.
    result = plan([basics, stats, advanced], {SQL: 7.5}, {SQL: 9}, completed={stats.course_id})
    assert titles(result) == ["Advanced SQL"]
    # Not mastered: Stats at 2 and not completed -> planned first, as a prerequisite.
    result = plan([basics, stats, advanced], {SQL: 7.5, STATS: 2}, {SQL: 9})
    assert titles(result) == ["Stats 101", "Advanced SQL"]
    assert result.steps[0].reasons == ["prerequisite of Advanced SQL"]


def test_modules_when_the_whole_course_is_not_needed() -> None:
    joins = course("SQL Joins", "intermediate", {SQL}, minutes=600, modules=6)
    # The band 4 -> 7 over 6 modules: 0.5 level a module; at 5 with target 6 only modules 3-4 are needed.
    result = plan([joins], {SQL: 5}, {SQL: 6})
    (step,) = result.steps
    assert step.kind == "modules"
    assert step.module_ids == [m.module_id for m in joins.modules[2:4]]
    assert step.minutes == 200
    assert step.reasons[0] == "closes your gap in SQL: level 5 → 6"
    assert "only 2 of its 6 modules" in step.reasons[1]
    # From the bottom to the top of the band: the whole course.
    whole = plan([joins], {SQL: 4}, {SQL: 7}).steps[0]
    assert (whole.kind, whole.module_ids, whole.minutes) == ("course", [], 600)


def test_no_gap_no_steps_and_uncovered_gaps_are_said() -> None:
    basics = course("SQL Basics", "beginner", {SQL})
    assert plan([basics], {SQL: 6}, {SQL: 5}).steps == []
    result = plan([basics], {}, {SQL: 9})
    assert titles(result) == ["SQL Basics"]
    assert result.uncovered == ["No published course takes SQL to level 9"]


def test_week_by_week_timeline_at_hours_per_week() -> None:
    a = course("A", "beginner", {SQL}, minutes=450)
    b = course("B", "intermediate", {SQL}, minutes=300, requires=(a,))
    result = plan([a, b], {}, {SQL: 7}, hours_per_week=5)  # 300 minutes a week
    assert [(w.week, w.starts_on, w.minutes, w.steps) for w in result.weeks] == [
        (1, START, 300, [1]),
        (2, date(2027, 1, 11), 300, [1, 2]),
        (3, date(2027, 1, 18), 150, [2]),
    ]
    assert [(s.start_week, s.end_week) for s in result.steps] == [(1, 2), (2, 3)]
    assert result.total_minutes == 750
    assert result.estimated_finish == date(2027, 1, 22)  # 750 / 300 * 7 = 17.5 -> 18 days
    assert result.feasible


def test_cannot_meet_the_deadline_says_the_earliest_date() -> None:
    a = course("A", "beginner", {SQL}, minutes=3000)
    result = plan([a], {}, {SQL: 4}, hours_per_week=5, deadline=date(2027, 2, 1))  # 28 days
    assert not result.feasible
    assert result.estimated_finish == date(2027, 3, 15)  # 3000 / 300 = 10 weeks
    assert result.message == (
        "Cannot meet the deadline 2027-02-01 at 5 h/week: the earliest date is 2027-03-15 "
        "(12.5 h/week would meet it)."
    )


def test_one_course_per_band_preferring_the_one_closing_more_gaps_then_the_shorter() -> None:
    short_sql = course("Quick SQL", "beginner", {SQL}, minutes=100)
    both = course("Data Basics", "beginner", {SQL, STATS}, minutes=500)
    long_sql = course("Long SQL", "beginner", {SQL}, minutes=900)
    assert titles(plan([short_sql, both, long_sql], {}, {SQL: 4, STATS: 3})) == ["Data Basics"]
    assert titles(plan([short_sql, both, long_sql], {}, {SQL: 4})) == ["Quick SQL"]
