"""The weekly adjustment of learning paths: read each active path's learner, re-plan, say what changed.

Reading (``review``), since the path's current version was stored:

- progress: ``planned`` = the minutes the version's pace (its hours a week) allots to the days elapsed,
  capped at the path's total; ``done`` = the catalogue minutes of the path's lessons completed since then.
  ``ahead`` when done ≥ 1.2 × planned, ``behind`` when done < 0.8 × planned, else ``on_track``.
- trend: the correctness of the learner's answers (``answered`` events with a success) over the last 14
  days against the 14 days before; ``improving`` when up by ``TREND_STEP`` (0.1) or more, ``declining``
  when down by as much, ``stable`` otherwise or with fewer than ``MIN_ANSWERS`` (5) answers in either
  window (too few to tell).
- engagement: days with any event of the learner in the last 7: ``active`` ≥ 3, ``low`` 1-2, ``inactive``.

Adjusting: the path is planned again from today's levels and completions (the planner drops what is now
mastered or completed — each removal named), at the goal's hours a week, or at the learner's own pace
when behind or ahead (the minutes done since the version, per week) so the finish estimate follows what
they actually do; a declining trend puts a revision step first: the module of the path in which the
learner most recently completed a lesson. A version is stored only when something changed (steps,
estimated finish, or a review other than on track and stable), with its reasons; then an ``updated`` event
and a ``path_adjusted`` notification to the learner. A path adjusted less than ``MIN_DAYS`` ago is left;
a finish estimate moving by less than a week is not a change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.goals import service as goals
from app_api.notifications import service as notifications
from app_api.paths.models import LearningPathSnapshot
from app_api.paths.planner import Step, schedule
from app_api.paths.service import completed_lessons, current_levels, plan_for, plan_json, store_snapshot
from skillstudio.web.principals import Principal

AHEAD, BEHIND = 1.2, 0.8
TREND_STEP, MIN_ANSWERS = 0.1, 5
MIN_DAYS = 6
FINISH_MOVE_DAYS = 7  # a finish estimate moving by less is rounding, not news

_ANSWERS = text(
    """
    select count(*) filter (where occurred_at >= :middle) as recent,
           avg(success::int) filter (where occurred_at >= :middle) as recent_rate,
           count(*) filter (where occurred_at < :middle) as earlier,
           avg(success::int) filter (where occurred_at < :middle) as earlier_rate
    from learner_events
    where actor_id = :learner and verb = 'answered' and success is not null
      and occurred_at >= :start and occurred_at < :now
    """
)
_ACTIVE_DAYS = text(
    """
    select count(distinct cast(occurred_at as date)) from learner_events
    where actor_id = :learner and occurred_at >= :since and occurred_at < :now
    """
)


@dataclass(frozen=True)
class Adjustment:
    goal_id: uuid.UUID
    learner_id: uuid.UUID
    version: int | None  # the stored version; None when nothing changed
    review: dict[str, Any]
    changes: list[str]


def _review(
    session: Session, snapshot: LearningPathSnapshot, now: datetime, done_minutes: int
) -> dict[str, Any]:
    elapsed_days = max(0.0, (now - snapshot.created_at).total_seconds() / 86400)
    planned = round(min(snapshot.plan["total_minutes"], snapshot.hours_per_week * 60 * elapsed_days / 7))
    if planned and done_minutes >= AHEAD * planned:
        status = "ahead"
    elif planned and done_minutes < BEHIND * planned:
        status = "behind"
    else:
        status = "on_track"
    answers = session.execute(
        _ANSWERS,
        {"learner": snapshot.user_id, "now": now, "middle": now - timedelta(days=14),
         "start": now - timedelta(days=28)},
    ).one()  # fmt: skip
    recent = float(answers.recent_rate) if answers.recent_rate is not None else None
    earlier = float(answers.earlier_rate) if answers.earlier_rate is not None else None
    trend = "stable"
    if (
        answers.recent >= MIN_ANSWERS
        and answers.earlier >= MIN_ANSWERS
        and recent is not None
        and earlier is not None
    ):
        if recent - earlier >= TREND_STEP - 1e-9:
            trend = "improving"
        elif earlier - recent >= TREND_STEP - 1e-9:
            trend = "declining"
    days = session.scalar(
        _ACTIVE_DAYS, {"learner": snapshot.user_id, "now": now, "since": now - timedelta(days=7)}
    )
    engagement = "active" if days >= 3 else "low" if days >= 1 else "inactive"
    return {
        "progress": status, "trend": trend, "engagement": engagement, "planned_minutes": planned,
        "done_minutes": done_minutes,
        "recent_correct_rate": round(recent, 3) if recent is not None else None,
        "earlier_correct_rate": round(earlier, 3) if earlier is not None else None,
        "active_days_last_week": int(days),
    }  # fmt: skip


def _path_lessons(
    session: Session, snapshot: LearningPathSnapshot
) -> dict[uuid.UUID, tuple[int, uuid.UUID, Any]]:
    """lesson -> (minutes, course, module) for the lessons the version's steps cover."""
    steps = snapshot.plan["steps"]
    outlines = {
        o.course_id: o
        for o in courses.catalogue_outlines(session, course_ids=[uuid.UUID(s["course_id"]) for s in steps])
    }
    lessons = {}
    for step in steps:
        outline = outlines.get(uuid.UUID(step["course_id"]))
        if outline is None:
            continue
        kept = {uuid.UUID(m) for m in step["module_ids"]}
        for lesson in outline.lessons:
            if not kept or lesson.module_id in kept:
                lessons[lesson.lesson_id] = (lesson.minutes, outline.course_id, lesson.module_id)
    return lessons


def _revision_step(session: Session, snapshot: LearningPathSnapshot, review: dict[str, Any],
                   lessons: dict[uuid.UUID, tuple[int, uuid.UUID, Any]],
                   completed: dict[uuid.UUID, datetime]) -> Step | None:  # fmt: skip
    learnt = [(completed[lesson_id], lesson_id) for lesson_id in lessons if lesson_id in completed]
    if not learnt:
        return None
    _, lesson_id = max(learnt)
    _, course_id, module_id = lessons[lesson_id]
    outline = courses.catalogue_outlines(session, course_ids=[course_id])[0]
    module = next((m for m in outline.modules if m.module_id == module_id), None)
    minutes = module.minutes if module else lessons[lesson_id][0]
    where = f"{outline.title}, module {module.title}" if module else outline.title
    return Step(
        position=0, course_id=course_id, title=outline.title, level=outline.level, kind="revision",
        module_ids=[module.module_id] if module else [], minutes=minutes,
        reasons=[
            f"revision of {where}: your answers were {review['recent_correct_rate']:.0%} correct over "
            f"the last two weeks, down from {review['earlier_correct_rate']:.0%}"
        ],
    )  # fmt: skip


def _pace(
    snapshot: LearningPathSnapshot, review: dict[str, Any], hours_per_week: float, done: int, now: datetime
) -> tuple[float, list[str]]:
    """The hours a week to plan at (the learner's own pace when ahead or behind) and why."""
    since = snapshot.created_at.date().isoformat()
    planned = review["planned_minutes"]
    if review["progress"] != "on_track" and done > 0:
        weeks = max(1 / 7, (now - snapshot.created_at).total_seconds() / 86400 / 7)
        pace = round(max(0.5, done / 60 / weeks), 1)
        status = review["progress"].replace("_", " ")
        return pace, [
            f"You are {status}: {done} of the {planned} minutes planned since {since} done; the timeline "
            f"now follows your pace of {pace:g} h/week instead of {hours_per_week:g}."
        ]
    if review["progress"] == "behind":
        idle = " and no activity at all in the last 7 days" if review["engagement"] == "inactive" else ""
        return hours_per_week, [
            f"You are behind: none of the {planned} minutes planned since {since} done yet{idle}; the "
            f"timeline keeps your {hours_per_week:g} h/week from today."
        ]
    return hours_per_week, []


def _step_changes(
    session: Session, snapshot: LearningPathSnapshot, steps: list[Step],
    lessons: dict[uuid.UUID, tuple[int, uuid.UUID, Any]], completed: dict[uuid.UUID, datetime],
) -> list[str]:  # fmt: skip
    """The courses the new plan drops (completed, or mastered: the levels now) and adds, with reasons."""
    previous = {s["course_id"]: s for s in snapshot.plan["steps"] if s["kind"] != "revision"}
    kept = {str(step.course_id) for step in steps}
    levels = current_levels(session, snapshot.user_id)
    changes = []
    for course_id, step in previous.items():
        if course_id in kept:
            continue
        taught = [lesson_id for lesson_id, (_, course, _) in lessons.items() if str(course) == course_id]
        if taught and all(lesson_id in completed for lesson_id in taught):
            changes.append(f"Removed {step['title']}: you completed it.")
            continue
        now_at = ", ".join(
            f"{gain['name']} is now {levels.get(uuid.UUID(gain['skill_id']), gain['from_level']):g}"
            for gain in step["gains"]
        )
        changes.append(f"Removed {step['title']}: no longer needed ({now_at or 'its skills are mastered'}).")
    changes += [
        f"Added {step.title}: {'; '.join(step.reasons)}."
        for step in steps
        if str(step.course_id) not in previous
    ]
    return changes


def adjust_path(session: Session, *, goal_id: uuid.UUID, now: datetime | None = None) -> Adjustment | None:
    """Review and re-plan one goal's path; None when it has no path, is not active or was just adjusted."""
    now = now or datetime.now(UTC)
    snapshot = session.scalars(
        select(LearningPathSnapshot).where(LearningPathSnapshot.goal_id == goal_id)
        .order_by(LearningPathSnapshot.version.desc()).limit(1)
    ).first()  # fmt: skip
    if snapshot is None or now - snapshot.created_at < timedelta(days=MIN_DAYS):
        return None
    learner = Principal(user_id=snapshot.user_id, role="learner")  # the job acts on the learner's behalf
    goal = goals.get_goal(session, principal=learner, goal_id=goal_id)
    if goal.status != "active":
        return None
    lessons = _path_lessons(session, snapshot)
    completed = completed_lessons(session, snapshot.user_id)
    done = sum(minutes for lesson_id, (minutes, _, _) in lessons.items()
               if lesson_id in completed and completed[lesson_id] >= snapshot.created_at)  # fmt: skip
    review = _review(session, snapshot, now, done)
    pace, changes = _pace(snapshot, review, goal.hours_per_week, done, now)
    plan = plan_for(session, goal, hours_per_week=pace)
    changes += _step_changes(session, snapshot, plan.steps, lessons, completed)
    steps = plan.steps
    if review["trend"] == "declining":
        revision = _revision_step(session, snapshot, review, lessons, completed)
        if revision is not None:
            steps = [revision, *steps]
            changes.append(f"Added revision first: {revision.reasons[0]}.")
    plan = schedule(
        steps, hours_per_week=pace, start=now.date(), deadline=goal.deadline, uncovered=plan.uncovered
    )
    if abs((plan.estimated_finish - snapshot.estimated_finish).days) >= FINISH_MOVE_DAYS:
        changes.append(
            f"Estimated finish moves from {snapshot.estimated_finish.isoformat()} to "
            f"{plan.estimated_finish.isoformat()} (deadline {goal.deadline.isoformat()})."
        )
    if not changes and review["trend"] != "declining":
        return Adjustment(goal_id, goal.user_id, None, review, [])
    if not changes:
        changes.append(
            "Your answers are less often correct than before; nothing learnt on this path to revise yet."
        )
    stored = store_snapshot(
        session, actor=learner, goal=goal, plan=plan_json(plan), trigger="weekly_adjustment",
        hours_per_week=pace, estimated_finish=plan.estimated_finish, feasible=plan.feasible,
        review=review, changes=changes,
    )  # fmt: skip
    notifications.notify(
        session, user_id=goal.user_id, kind="path_adjusted", title="Your learning path was adjusted",
        body=" ".join(changes), link=f"/api/v1/goals/{goal_id}/path",
        data={"goal_id": str(goal_id), "version": stored.version,
              **{key: review[key] for key in ("progress", "trend", "engagement")}},
        dedupe_key=f"{goal_id}:{stored.version}",
    )  # fmt: skip
    return Adjustment(goal_id, goal.user_id, stored.version, review, changes)


def adjust_all(session: Session, *, now: datetime | None = None) -> list[Adjustment]:
    """Adjust every goal's path (the weekly schedule's work); the caller commits."""
    goal_ids = session.scalars(select(LearningPathSnapshot.goal_id).distinct()).all()
    results = []
    for goal_id in sorted(goal_ids, key=str):
        result = adjust_path(session, goal_id=goal_id, now=now)
        if result is not None:
            results.append(result)
    return results
