"""The path planner: pure logic from a goal's gap and a catalogue graph to ordered steps with a timeline.

No database here: the service loads a ``Catalogue`` and the learner's levels and calls ``plan_path``; the
unit tests feed small graphs.

How a course moves a level. A course's difficulty (its ``level`` word) is a band of the 1-10 skill scale it
teaches across: beginner 1 → 4, intermediate 4 → 7, advanced 7 → 10; any other word (imports carry their
source's words) counts as the whole scale 1 → 10 and sorts with intermediate. Taking a course brings each
skill it teaches up to the band's top. So a gap skill (current c < target t) needs the courses teaching it
whose band overlaps (c, t); per band the planner picks one course: the one closing the most gap skills,
then the shortest, then by title.

Modules instead of the course. The band is spread evenly over the course's modules in order, so a learner
already at level c inside the band skips the modules below c, and a target t inside the band drops the
modules above t: the part kept is [max(lo, c), min(hi, t)] joined over the course's gap skills. A course
with no modules, or where every module is kept, is one whole-course step.

Prerequisites. Every prerequisite (transitively) of a chosen course is added before it unless mastered:
completed by the learner, or every skill it teaches already at or above its band's top. Order: a
topological order of the prerequisite graph that, among steps free to go next, takes the easier band
first (then the lower band start, then title): easier → harder.

Timeline. Step minutes are the catalogue's estimated minutes (of the kept modules); weeks hold
``hours_per_week * 60`` minutes each, filled in step order from the start date. When the last week ends
after the deadline, the plan says so with the earliest finish date and the hours a week that would meet it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

LEVEL_BANDS: dict[str, tuple[float, float]] = {
    "beginner": (1.0, 4.0),
    "intermediate": (4.0, 7.0),
    "advanced": (7.0, 10.0),
}
UNKNOWN_BAND = (1.0, 10.0)
_RANK = {"beginner": 0, "intermediate": 1, "advanced": 2}


def band(level_word: str) -> tuple[float, float]:
    """The part of the 1-10 scale a course of this difficulty teaches across."""
    return LEVEL_BANDS.get(level_word.lower(), UNKNOWN_BAND)


def difficulty_rank(level_word: str) -> int:
    return _RANK.get(level_word.lower(), 1)


@dataclass(frozen=True)
class CatalogueModule:
    module_id: uuid.UUID
    title: str
    minutes: int


@dataclass(frozen=True)
class CatalogueCourse:
    course_id: uuid.UUID
    title: str
    level: str
    skill_ids: frozenset[uuid.UUID]
    prerequisite_ids: frozenset[uuid.UUID]
    modules: tuple[CatalogueModule, ...]  # in position order
    minutes: int  # the whole course: every lesson, with or without a module


@dataclass(frozen=True)
class SkillGain:
    skill_id: uuid.UUID
    name: str
    from_level: float
    to_level: float


@dataclass
class Step:
    position: int
    course_id: uuid.UUID
    title: str
    level: str
    kind: str  # "course" or "modules"
    module_ids: list[uuid.UUID]
    minutes: int
    reasons: list[str]
    gains: list[SkillGain] = field(default_factory=list)
    start_week: int = 0
    end_week: int = 0


@dataclass
class Week:
    week: int
    starts_on: date
    minutes: int
    steps: list[int]  # step positions worked on that week


@dataclass
class Plan:
    steps: list[Step]
    weeks: list[Week]
    total_minutes: int
    estimated_finish: date
    deadline: date
    feasible: bool
    message: str
    uncovered: list[str]  # gaps no published course can close, as sentences


def _fmt(level: float) -> str:
    return f"{level:g}" if level == int(level) else f"{level:.1f}"


def _mastered(course: CatalogueCourse, levels: Mapping[uuid.UUID, float], completed: set[uuid.UUID]) -> bool:
    if course.course_id in completed:
        return True
    top = band(course.level)[1]
    return bool(course.skill_ids) and all(levels.get(s, 0.0) >= top for s in course.skill_ids)


def _choose_courses(
    catalogue: Mapping[uuid.UUID, CatalogueCourse],
    gaps: Mapping[uuid.UUID, tuple[float, float]],
    completed: set[uuid.UUID],
) -> tuple[dict[uuid.UUID, set[uuid.UUID]], list[uuid.UUID]]:
    """course -> the gap skills it is chosen for; and the gap skills left (partly) uncovered."""
    chosen: dict[uuid.UUID, set[uuid.UUID]] = {}
    uncovered = []

    def closes(course: CatalogueCourse) -> int:
        lo, hi = band(course.level)
        return sum(1 for s, (c, t) in gaps.items() if s in course.skill_ids and hi > c and lo < t)

    for skill_id, (current, target) in gaps.items():
        candidates = [
            course
            for course in catalogue.values()
            if skill_id in course.skill_ids
            and course.course_id not in completed
            and band(course.level)[1] > current
            and band(course.level)[0] < target
        ]
        by_band: dict[tuple[float, float], list[CatalogueCourse]] = {}
        for course in candidates:
            by_band.setdefault(band(course.level), []).append(course)
        reach = current
        for course_band in sorted(by_band):
            already = [c for c in by_band[course_band] if c.course_id in chosen]
            pick = already[0] if already else min(
                by_band[course_band], key=lambda c: (-closes(c), c.minutes, c.title, str(c.course_id))
            )  # fmt: skip
            chosen.setdefault(pick.course_id, set()).add(skill_id)
            reach = max(reach, course_band[1])
        if reach < target:
            uncovered.append(skill_id)
    return chosen, uncovered


def _kept_modules(
    course: CatalogueCourse, gaps: Mapping[uuid.UUID, tuple[float, float]], skills: set[uuid.UUID]
) -> list[CatalogueModule]:
    """The modules covering [max(lo, c), min(hi, t)] of the band, joined over the course's gap skills."""
    if not course.modules or not skills:
        return list(course.modules)
    lo, hi = band(course.level)
    count = len(course.modules)
    first, last = count, 0
    for skill_id in skills:
        current, target = gaps[skill_id]
        start = (max(lo, current) - lo) / (hi - lo)
        end = (min(hi, target) - lo) / (hi - lo)
        first = min(first, min(count - 1, math.floor(start * count + 1e-9)))
        last = max(last, max(1, math.ceil(end * count - 1e-9)))
    return list(course.modules[first : max(first + 1, last)])


def _with_prerequisites(
    catalogue: Mapping[uuid.UUID, CatalogueCourse],
    chosen: dict[uuid.UUID, set[uuid.UUID]],
    levels: Mapping[uuid.UUID, float],
    completed: set[uuid.UUID],
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Chosen courses plus their unmastered prerequisites: course -> the planned courses that need it."""
    needed_by: dict[uuid.UUID, list[uuid.UUID]] = {course_id: [] for course_id in chosen}
    stack = list(chosen)
    while stack:
        course_id = stack.pop()
        for prerequisite_id in sorted(catalogue[course_id].prerequisite_ids, key=str):
            prerequisite = catalogue.get(prerequisite_id)
            if prerequisite is None or _mastered(prerequisite, levels, completed):
                continue
            if prerequisite_id not in needed_by:
                needed_by[prerequisite_id] = []
                stack.append(prerequisite_id)
            needed_by[prerequisite_id].append(course_id)
    return needed_by


def _order(catalogue: Mapping[uuid.UUID, CatalogueCourse], planned: set[uuid.UUID]) -> list[uuid.UUID]:
    """Kahn's topological order over the planned courses, easier band first among those free to go."""

    def key(course_id: uuid.UUID) -> tuple[int, float, str, str]:
        course = catalogue[course_id]
        return (difficulty_rank(course.level), band(course.level)[0], course.title, str(course_id))

    waiting = {c: {p for p in catalogue[c].prerequisite_ids if p in planned} for c in planned}
    order: list[uuid.UUID] = []
    while waiting:
        free = [c for c, before in waiting.items() if not before]
        # A cycle cannot be authored (the catalogue refuses one); were it there, the easiest goes first.
        following = min(free or waiting, key=key)
        order.append(following)
        del waiting[following]
        for before in waiting.values():
            before.discard(following)
    return order


def _timeline(steps: list[Step], start: date, minutes_per_week: float) -> list[Week]:
    weeks: list[Week] = []
    used = minutes_per_week  # forces a first week
    for step in steps:
        left: float = step.minutes
        while True:
            if used >= minutes_per_week - 1e-9:
                weeks.append(Week(len(weeks) + 1, start + timedelta(days=7 * len(weeks)), 0, []))
                used = 0.0
            week = weeks[-1]
            if step.position not in week.steps:
                week.steps.append(step.position)
                step.start_week = step.start_week or week.week
            take = min(left, minutes_per_week - used)
            week.minutes += round(take)
            used += take
            left -= take
            step.end_week = week.week
            if left <= 1e-9:
                break
    return weeks


def plan_path(
    *,
    catalogue: Mapping[uuid.UUID, CatalogueCourse],
    skill_names: Mapping[uuid.UUID, str],
    levels: Mapping[uuid.UUID, float],
    targets: Mapping[uuid.UUID, float],
    completed: set[uuid.UUID],
    hours_per_week: float,
    start: date,
    deadline: date,
    unknown_level: float = 1.0,
) -> Plan:
    """Plan the courses (or modules) closing the gaps between ``levels`` and ``targets``.

    ``levels`` holds the learner's known levels (1-10); a skill missing from it counts as
    ``unknown_level``. ``completed`` are courses the learner finished, never planned again.
    """
    gaps = {
        skill_id: (levels.get(skill_id, unknown_level), target)
        for skill_id, target in sorted(targets.items(), key=lambda item: skill_names.get(item[0], ""))
        if target > levels.get(skill_id, unknown_level)
    }
    chosen, uncovered_ids = _choose_courses(catalogue, gaps, completed)
    needed_by = _with_prerequisites(catalogue, chosen, levels, completed)
    steps = []
    for position, course_id in enumerate(_order(catalogue, set(needed_by)), start=1):
        course = catalogue[course_id]
        lo, hi = band(course.level)
        skills = chosen.get(course_id, set())
        reasons, gains = [], []
        for skill_id in sorted(skills, key=lambda s: skill_names.get(s, "")):
            current, target = gaps[skill_id]
            gain = SkillGain(skill_id, skill_names.get(skill_id, "?"), max(current, lo), min(target, hi))
            gains.append(gain)
            reasons.append(
                f"closes your gap in {gain.name}: level {_fmt(gain.from_level)} → {_fmt(gain.to_level)}"
            )
        for dependant in sorted(needed_by[course_id], key=lambda c: catalogue[c].title):
            reasons.append(f"prerequisite of {catalogue[dependant].title}")
        kept = _kept_modules(course, gaps, skills) if not needed_by[course_id] else list(course.modules)
        partial = bool(course.modules) and len(kept) < len(course.modules)
        if partial:
            reasons.append(
                f"only {len(kept)} of its {len(course.modules)} modules: the rest is below your level or "
                "beyond your target"
            )
        steps.append(
            Step(
                position=position, course_id=course_id, title=course.title, level=course.level,
                kind="modules" if partial else "course",
                module_ids=[m.module_id for m in kept] if partial else [],
                minutes=sum(m.minutes for m in kept) if partial else course.minutes,
                reasons=reasons, gains=gains,
            )
        )  # fmt: skip
    uncovered = [
        f"No published course takes {skill_names.get(s, '?')} to level {_fmt(gaps[s][1])}"
        for s in uncovered_ids
    ]
    return schedule(steps, hours_per_week=hours_per_week, start=start, deadline=deadline, uncovered=uncovered)


def schedule(
    steps: list[Step], *, hours_per_week: float, start: date, deadline: date, uncovered: list[str]
) -> Plan:
    """Number the steps in order and lay them on weeks of ``hours_per_week`` from ``start``."""
    for position, step in enumerate(steps, start=1):
        step.position, step.start_week, step.end_week = position, 0, 0
    minutes_per_week = hours_per_week * 60
    weeks = _timeline(steps, start, minutes_per_week)
    total = sum(step.minutes for step in steps)
    finish = start + timedelta(days=math.ceil(total / minutes_per_week * 7)) if total else start
    feasible = finish <= deadline
    if feasible:
        message = f"On track to finish by {finish.isoformat()}, before the deadline {deadline.isoformat()}."
    else:
        days = max(1, (deadline - start).days)
        needed = math.ceil(total / 60 / (days / 7) * 10) / 10
        message = (
            f"Cannot meet the deadline {deadline.isoformat()} at {hours_per_week:g} h/week: "
            f"the earliest date is {finish.isoformat()} ({needed:g} h/week would meet it)."
        )
    return Plan(steps, weeks, total, finish, deadline, feasible, message, uncovered)
