"""Learning paths of goals: generate, store as versioned snapshots, read with their history.

A goal's path is planned by ``planner.plan_path`` from the goal's targets, the learner's current levels (the
profile's ``learner_skill_levels``, read through the users service — the mastery model keeps them current),
the courses the learner completed and the published catalogue. Every generation or adjustment adds the
goal's next version; nothing is edited in place. The goal's owner and admins read and generate paths.

Events (object ``learning_path``, id the snapshot, actor the caller — the learner for the weekly job):
generating -> ``created`` with ``extensions`` {goal_id, version, feasible, steps}; the weekly adjustment
-> ``updated`` with the same plus {progress, trend, engagement, changes}.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.goals import service as goals
from app_api.goals.schemas import GoalRead
from app_api.paths.models import LearningPathSnapshot
from app_api.paths.planner import CatalogueCourse, CatalogueModule, Plan, Step, plan_path, schedule
from app_api.paths.schemas import PathHistoryRead, PathRead, PathVersionRead
from app_api.progress import service as progress
from app_api.users import service as users
from skillstudio.errors import Conflict, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def today() -> date:
    return datetime.now(UTC).date()


def catalogue(session: Session) -> dict[uuid.UUID, CatalogueCourse]:
    return {
        outline.course_id: CatalogueCourse(
            course_id=outline.course_id, title=outline.title, level=outline.level,
            skill_ids=outline.skill_ids, prerequisite_ids=outline.prerequisite_ids,
            modules=tuple(CatalogueModule(m.module_id, m.title, m.minutes) for m in outline.modules),
            minutes=outline.minutes,
        )
        for outline in courses.catalogue_outlines(session)
    }  # fmt: skip


def current_levels(session: Session, learner_id: uuid.UUID) -> dict[uuid.UUID, float]:
    profile = users.get_profile(session=session, learner_id=learner_id)
    return {level.skill_id: level.level for level in profile.skill_levels}


def completed_courses(session: Session, learner_id: uuid.UUID) -> set[uuid.UUID]:
    rows = enrollments.enrollment_rows().subquery()
    return set(
        session.scalars(
            select(rows.c.course_id).where(rows.c.user_id == learner_id, rows.c.status == "completed")
        )
    )


def completed_lessons(session: Session, learner_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
    """The lessons the learner completed in any enrollment, with when."""
    rows = enrollments.enrollment_rows().subquery()
    ids: list[uuid.UUID] = list(
        session.scalars(select(rows.c.enrollment_id).where(rows.c.user_id == learner_id))
    )
    return progress.completed_lessons(session, enrollment_ids=ids)


def _less_what_is_done(session: Session, plan: Plan, learner_id: uuid.UUID) -> list[Step]:
    """The plan's steps with the minutes of lessons already completed taken off (a course half done
    needs half the time)."""
    done = completed_lessons(session, learner_id)
    outlines = {
        o.course_id: o
        for o in courses.catalogue_outlines(session, course_ids=[s.course_id for s in plan.steps])
    }
    for step in plan.steps:
        outline = outlines.get(step.course_id)
        kept = set(step.module_ids)
        finished = sum(
            lesson.minutes
            for lesson in (outline.lessons if outline else ())
            if lesson.lesson_id in done and (not kept or lesson.module_id in kept)
        )
        if finished:
            step.minutes = max(0, step.minutes - finished)
            step.reasons.append(f"{finished} minutes of it already done")
    return plan.steps


def plan_for(session: Session, goal: GoalRead, *, hours_per_week: float | None = None) -> Plan:
    """The plan for the goal from today, at the goal's hours a week unless given, counting only the
    lessons not yet completed."""
    targets = {target.skill_id: target.target_level for target in goal.skills}
    hours = hours_per_week or goal.hours_per_week
    plan = plan_path(
        catalogue=catalogue(session),
        skill_names={s.skill_id: s.name for s in courses.skills_by_id(session, skill_ids=targets).values()},
        levels=current_levels(session, goal.user_id),
        targets=targets,
        completed=completed_courses(session, goal.user_id),
        hours_per_week=hours,
        start=today(),
        deadline=goal.deadline,
    )
    steps = _less_what_is_done(session, plan, goal.user_id)
    return schedule(
        steps, hours_per_week=hours, start=today(), deadline=goal.deadline, uncovered=plan.uncovered
    )


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "steps": [
            {**asdict(step), "course_id": str(step.course_id),
             "module_ids": [str(m) for m in step.module_ids],
             "gains": [{**asdict(g), "skill_id": str(g.skill_id)} for g in step.gains]}
            for step in plan.steps
        ],
        "timeline": [{**asdict(week), "starts_on": week.starts_on.isoformat()} for week in plan.weeks],
        "total_minutes": plan.total_minutes,
        "message": plan.message,
        "uncovered": plan.uncovered,
    }  # fmt: skip


def _lock_goal_paths(session: Session, goal_id: uuid.UUID) -> None:
    """Serialise new versions of one goal's path (two at once would both claim the same number)."""
    lock = text("select pg_advisory_xact_lock(hashtextextended(:key, 0))")
    session.execute(lock, {"key": f"path:{goal_id}"})


def latest_snapshot(session: Session, goal_id: uuid.UUID) -> LearningPathSnapshot | None:
    return session.scalars(
        select(LearningPathSnapshot)
        .where(LearningPathSnapshot.goal_id == goal_id)
        .order_by(LearningPathSnapshot.version.desc())
        .limit(1)
    ).first()


def store_snapshot(
    session: Session, *, actor: Principal, goal: GoalRead, plan: dict[str, Any], trigger: str,
    hours_per_week: float, estimated_finish: date, feasible: bool,
    review: dict[str, Any] | None = None, changes: list[str] | None = None,
) -> LearningPathSnapshot:  # fmt: skip
    """Add the goal's next path version and its event, in the caller's transaction."""
    _lock_goal_paths(session, goal.goal_id)
    version = (
        session.scalar(
            select(func.max(LearningPathSnapshot.version)).where(LearningPathSnapshot.goal_id == goal.goal_id)
        )
        or 0
    ) + 1
    snapshot = LearningPathSnapshot(
        snapshot_id=uuid.uuid4(), goal_id=goal.goal_id, user_id=goal.user_id, version=version,
        trigger=trigger,
        hours_per_week=hours_per_week, deadline=goal.deadline, estimated_finish=estimated_finish,
        feasible=feasible, plan=plan, review=review, changes=changes or [], created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(snapshot)
    session.flush()
    extensions: dict[str, Any] = {
        "goal_id": str(goal.goal_id), "user_id": str(goal.user_id), "version": version,
        "feasible": feasible, "steps": len(plan["steps"]),
    }  # fmt: skip
    if review is not None:
        extensions |= {key: review[key] for key in ("progress", "trend", "engagement")} | {"changes": changes}
    record_event(
        session, actor_id=actor.user_id, verb="created" if trigger == "generated" else "updated",
        object_type="learning_path", object_id=snapshot.snapshot_id, occurred_at=snapshot.created_at,
        extensions=extensions,
    )  # fmt: skip
    return snapshot


def path_read(snapshot: LearningPathSnapshot) -> PathRead:
    plan = snapshot.plan
    return PathRead(
        snapshot_id=snapshot.snapshot_id, goal_id=snapshot.goal_id, learner_id=snapshot.user_id,
        version=snapshot.version, trigger=snapshot.trigger,
        created_at=snapshot.created_at, hours_per_week=snapshot.hours_per_week, deadline=snapshot.deadline,
        estimated_finish=snapshot.estimated_finish, feasible=snapshot.feasible, message=plan["message"],
        total_minutes=plan["total_minutes"], steps=plan["steps"], timeline=plan["timeline"],
        uncovered=plan["uncovered"], review=snapshot.review, changes=snapshot.changes,
    )  # fmt: skip


def generate_path(session: Session, *, principal: Principal, goal_id: uuid.UUID) -> PathRead:
    """Plan the goal's path from today's levels and store it as the goal's next version."""
    goal = goals.get_goal(session, principal=principal, goal_id=goal_id)
    if goal.status != "active":
        raise Conflict(f"The goal is {goal.status}; only an active goal gets a path.")
    plan = plan_for(session, goal)
    snapshot = store_snapshot(
        session, actor=principal, goal=goal, plan=plan_json(plan), trigger="generated",
        hours_per_week=goal.hours_per_week, estimated_finish=plan.estimated_finish, feasible=plan.feasible,
    )  # fmt: skip
    return path_read(snapshot)


def get_path(session: Session, *, principal: Principal, goal_id: uuid.UUID) -> PathRead:
    goals.get_goal(session, principal=principal, goal_id=goal_id)
    snapshot = latest_snapshot(session, goal_id)
    if snapshot is None:
        raise NotFound(f"Goal {goal_id} has no path yet; POST /api/v1/goals/{goal_id}/path makes one.")
    return path_read(snapshot)


def path_history(session: Session, *, principal: Principal, goal_id: uuid.UUID) -> PathHistoryRead:
    goals.get_goal(session, principal=principal, goal_id=goal_id)
    snapshots = session.scalars(
        select(LearningPathSnapshot)
        .where(LearningPathSnapshot.goal_id == goal_id)
        .order_by(LearningPathSnapshot.version.desc())
    )
    return PathHistoryRead(
        goal_id=goal_id,
        items=[
            PathVersionRead(
                snapshot_id=s.snapshot_id, version=s.version, trigger=s.trigger,
                created_at=s.created_at, estimated_finish=s.estimated_finish, feasible=s.feasible,
                steps=len(s.plan["steps"]), review=s.review, changes=s.changes,
            )
            for s in snapshots
        ],
    )  # fmt: skip
