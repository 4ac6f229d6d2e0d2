"""A learner's learning goals and the gap between their levels and the goal's targets.

Goals belong to the learner who states them; the learner and admins read and change them, nobody else.
Each change writes its event (object ``goal``).

The gap of a skill is ``max(0, target - current)``, where current is the level in the learner's profile
(``learner_skill_levels``) — or 1, the bottom of the scale, when the profile has no level for the skill:
a learner with no record is planned for from the start rather than assumed to know something (the
response says which levels were unknown). Time: ``hours_available = hours_per_week * days_left / 7`` with days
counted from today (UTC) to the deadline.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app_api.common.loading import load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.goals.models import LearningGoal, LearningGoalSkill
from app_api.goals.schemas import (
    GoalCreate,
    GoalGapRead,
    GoalPage,
    GoalRead,
    GoalSkillTarget,
    GoalStatus,
    GoalUpdate,
    SkillGapRead,
)
from app_api.users import service as users
from skillstudio.errors import Forbidden, InvalidContent
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

UNKNOWN_LEVEL = 1.0


def _today() -> date:
    return datetime.now(UTC).date()


def _check_deadline(deadline: date) -> None:
    if deadline <= _today():
        raise InvalidContent.field(
            "body.deadline", f"The deadline {deadline} must be after today ({_today()})."
        )


def _check_skills(session: Session, targets: list[GoalSkillTarget]) -> None:
    wanted = {target.skill_id for target in targets}
    found = set(courses.skills_by_id(session, skill_ids=wanted))
    missing = sorted(str(skill_id) for skill_id in wanted - found)
    if missing:
        raise InvalidContent.field(
            "body.skills", f"Unknown skills {missing}; pick them from GET /api/v1/skills."
        )


def _targets(session: Session, goal_id: uuid.UUID) -> list[LearningGoalSkill]:
    return list(
        session.scalars(
            select(LearningGoalSkill)
            .where(LearningGoalSkill.goal_id == goal_id)
            .order_by(LearningGoalSkill.skill_id)
        )
    )


def _read(session: Session, goal: LearningGoal) -> GoalRead:
    return GoalRead(
        goal_id=goal.goal_id,
        user_id=goal.user_id,
        title=goal.title,
        deadline=goal.deadline,
        hours_per_week=goal.hours_per_week,
        status=goal.status,
        skills=[
            GoalSkillTarget(skill_id=t.skill_id, target_level=t.target_level)
            for t in _targets(session, goal.goal_id)
        ],
        created_at=goal.created_at,
        updated_at=goal.updated_at,
    )


def _set_targets(session: Session, goal_id: uuid.UUID, targets: list[GoalSkillTarget]) -> None:
    session.execute(delete(LearningGoalSkill).where(LearningGoalSkill.goal_id == goal_id))
    session.add_all(
        LearningGoalSkill(goal_id=goal_id, skill_id=target.skill_id, target_level=target.target_level)
        for target in targets
    )
    session.flush()


def create_goal(session: Session, *, principal: Principal, data: GoalCreate) -> GoalRead:
    _check_deadline(data.deadline)
    _check_skills(session, data.skills)
    now = datetime.now(UTC)
    goal = LearningGoal(
        goal_id=uuid.uuid4(), user_id=principal.user_id, title=data.title, deadline=data.deadline,
        hours_per_week=data.hours_per_week, status="active", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(goal)
    session.flush()
    _set_targets(session, goal.goal_id, data.skills)
    record_event(
        session, actor_id=principal.user_id, verb="created", object_type="goal", object_id=goal.goal_id,
        occurred_at=now,
        extensions={"deadline": data.deadline.isoformat(), "hours_per_week": data.hours_per_week,
                    "targets": {str(t.skill_id): t.target_level for t in data.skills}},
    )  # fmt: skip
    return _read(session, goal)


def _goal(session: Session, principal: Principal, goal_id: uuid.UUID, *, lock: bool = False) -> LearningGoal:
    def authorise(goal: LearningGoal) -> None:
        if not principal.can_act_for(goal.user_id):
            raise Forbidden("This goal belongs to another learner.")

    return load(
        session,
        LearningGoal,
        goal_id,
        missing=f"Goal {goal_id} does not exist.",
        authorise=authorise,
        lock=lock,
    )


def get_goal(session: Session, *, principal: Principal, goal_id: uuid.UUID) -> GoalRead:
    return _read(session, _goal(session, principal, goal_id))


def list_goals(
    session: Session,
    *,
    principal: Principal,
    user_id: uuid.UUID | None,
    status: GoalStatus | None,
    cursor: str | None,
    limit: int,
) -> GoalPage:
    """The goals of ``user_id`` (default: the caller), oldest first."""
    owner = user_id or principal.user_id
    if not principal.can_act_for(owner):
        raise Forbidden("You can only list your own goals.")
    statement = select(LearningGoal).where(LearningGoal.user_id == owner)
    if status is not None:
        statement = statement.where(LearningGoal.status == status)
    after = parse_cursor(cursor, tag="goals", kinds=(datetime, uuid.UUID))
    columns = (LearningGoal.created_at, LearningGoal.goal_id)
    rows = session.scalars(keyset(statement, columns=columns, after=after, limit=limit)).all()
    goals, next_cursor = page_of(
        rows, limit=limit, tag="goals", key_of=lambda goal: [goal.created_at, goal.goal_id]
    )
    return GoalPage(items=[_read(session, goal) for goal in goals], next_cursor=next_cursor)


def _differs(current: GoalRead, data: GoalUpdate, name: str) -> bool:
    if name == "skills":
        targets = {(t.skill_id, t.target_level) for t in data.skills or []}
        return targets != {(t.skill_id, t.target_level) for t in current.skills}
    return bool(getattr(current, name) != getattr(data, name))


def update_goal(session: Session, *, principal: Principal, goal_id: uuid.UUID, data: GoalUpdate) -> GoalRead:
    goal = _goal(session, principal, goal_id, lock=True)
    current = _read(session, goal)
    changes = sorted(name for name in data.model_fields_set if _differs(current, data, name))
    if not changes:
        return current  # nothing to change: no event
    if "deadline" in changes and data.deadline is not None:
        _check_deadline(data.deadline)
    if "skills" in changes and data.skills is not None:
        _check_skills(session, data.skills)
        _set_targets(session, goal_id, data.skills)
    for name in set(changes) - {"skills"}:
        setattr(goal, name, getattr(data, name))
    goal.updated_at = datetime.now(UTC)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="updated", object_type="goal", object_id=goal_id,
        occurred_at=goal.updated_at, extensions={"fields": changes, "user_id": str(goal.user_id)},
    )  # fmt: skip
    return _read(session, goal)


def delete_goal(session: Session, *, principal: Principal, goal_id: uuid.UUID) -> None:
    goal = _goal(session, principal, goal_id, lock=True)
    owner = goal.user_id
    session.delete(goal)
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="deleted", object_type="goal", object_id=goal_id,
        extensions={"user_id": str(owner)},
    )  # fmt: skip


def goal_gap(session: Session, *, principal: Principal, goal_id: uuid.UUID) -> GoalGapRead:
    goal = _goal(session, principal, goal_id)
    profile = users.get_profile(session=session, learner_id=goal.user_id)
    current = {level.skill_id: level for level in profile.skill_levels}
    targets = {target.skill_id: target for target in _targets(session, goal_id)}
    skills = []
    for skill in courses.skills_by_id(session, skill_ids=targets).values():  # in slug order
        target = targets[skill.skill_id]
        known = current.get(skill.skill_id)
        level = known.level if known else UNKNOWN_LEVEL
        skills.append(
            SkillGapRead(
                skill_id=skill.skill_id,
                slug=skill.slug,
                name=skill.name,
                current_level=level,
                current_level_known=known is not None,
                current_source=known.source if known else None,
                standard_error=known.standard_error if known else None,
                target_level=target.target_level,
                gap=round(max(0.0, target.target_level - level), 2),
            )
        )
    days_left = max(0, (goal.deadline - _today()).days)
    hours_available = round(goal.hours_per_week * days_left / 7, 2)
    total_gap = round(sum(skill.gap for skill in skills), 2)
    return GoalGapRead(
        goal_id=goal.goal_id,
        deadline=goal.deadline,
        days_left=days_left,
        hours_per_week=goal.hours_per_week,
        hours_available=hours_available,
        total_gap=total_gap,
        hours_per_level=round(hours_available / total_gap, 2) if total_gap > 0 else None,
        skills=skills,
    )
