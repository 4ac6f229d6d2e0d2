"""Learner profiles: preferences, imported attributes and per-skill levels.

Who may overwrite a level (decision): a level carries its source. A self-assessment (source ``self``)
only creates a level or replaces an earlier self-assessment; it never replaces a measured level
(``diagnostic``, ``import``, ``admin``), because a learner's guess is weaker evidence than a measurement
and the learning-path generator must not lose the better estimate. Such a request is refused whole with a
409 naming the skills, never applied in part or skipped silently. Measurements (a diagnostic, an admin's
correction) replace any earlier level: they are newer evidence. The assessments domain writes diagnostic
levels through ``write_skill_levels``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app_api.courses.models import Skill
from app_api.users.exceptions import MeasuredLevelConflictError, UnknownSkillsError
from app_api.users.models import LearnerProfile, LearnerSkillLevel
from app_api.users.schemas import PreferencesRead, ProfileRead, ProfileUpdate, SkillLevelRead
from app_api.users.service import get_user
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

PREFERENCE_KEYS = ("weekly_hours", "preferred_difficulty")


@dataclass(frozen=True)
class SkillLevelWrite:
    skill_id: uuid.UUID
    level: float
    standard_error: float | None = None


@dataclass(frozen=True)
class SkillLevelChange:
    skill_id: uuid.UUID
    level: float
    previous_level: float | None
    previous_source: str | None


def get_profile(*, session: Session, learner_id: uuid.UUID) -> ProfileRead:
    """The profile of an existing user (404 otherwise); users never written to get an empty one."""
    get_user(session=session, user_id=learner_id)
    profile = session.get(LearnerProfile, learner_id)
    rows = session.execute(
        select(LearnerSkillLevel, Skill.slug, Skill.name)
        .join(Skill, Skill.skill_id == LearnerSkillLevel.skill_id)
        .where(LearnerSkillLevel.user_id == learner_id)
        .order_by(Skill.slug)
    ).all()
    preferences = profile.preferences if profile else {}
    return ProfileRead(
        learner_id=learner_id,
        preferences=PreferencesRead(
            weekly_hours=preferences.get("weekly_hours"),
            preferred_difficulty=preferences.get("preferred_difficulty"),
        ),
        attributes=profile.attributes if profile else {},
        skill_levels=[
            SkillLevelRead(
                skill_id=level.skill_id,
                skill_slug=slug,
                skill_name=name,
                level=level.level,
                standard_error=level.standard_error,
                source=level.source,
                updated_at=level.updated_at,
            )
            for level, slug, name in rows
        ],
        updated_at=profile.updated_at if profile else None,
    )


def _locked_profile(session: Session, learner_id: uuid.UUID, now: datetime) -> LearnerProfile:
    session.execute(
        insert(LearnerProfile).values(user_id=learner_id, updated_at=now).on_conflict_do_nothing()
    )
    query = select(LearnerProfile).where(LearnerProfile.user_id == learner_id).with_for_update()
    return session.scalars(query).one()


def write_skill_levels(
    *,
    session: Session,
    learner_id: uuid.UUID,
    levels: Sequence[SkillLevelWrite],
    source: str,
    now: datetime,
) -> list[SkillLevelChange]:
    """Store levels with their source and return those that changed; the caller writes the event.

    A ``self`` write that touches a measured level raises ``MeasuredLevelConflictError`` before writing
    anything; an unknown skill id raises ``UnknownSkillsError`` (422).
    """
    wanted = {level.skill_id: level for level in levels}
    known = set(session.scalars(select(Skill.skill_id).where(Skill.skill_id.in_(wanted))))
    unknown = [(index, level.skill_id) for index, level in enumerate(levels) if level.skill_id not in known]
    if unknown:
        raise UnknownSkillsError(unknown)
    current = {
        row.skill_id: row
        for row in session.scalars(
            select(LearnerSkillLevel)
            .where(LearnerSkillLevel.user_id == learner_id, LearnerSkillLevel.skill_id.in_(wanted))
            .with_for_update()
        )
    }
    if source == "self":
        measured = [skill_id for skill_id, row in current.items() if row.source != "self"]
        if measured:
            raise MeasuredLevelConflictError(sorted(measured, key=str))
    changes = []
    for skill_id, level in wanted.items():
        row = current.get(skill_id)
        if row is not None and (row.level, row.standard_error, row.source) == (
            level.level,
            level.standard_error,
            source,
        ):
            continue
        changes.append(
            SkillLevelChange(
                skill_id=skill_id,
                level=level.level,
                previous_level=row.level if row else None,
                previous_source=row.source if row else None,
            )
        )
        values = {
            "level": level.level,
            "standard_error": level.standard_error,
            "source": source,
            "updated_at": now,
        }
        session.execute(
            insert(LearnerSkillLevel)
            .values(user_id=learner_id, skill_id=skill_id, **values)
            .on_conflict_do_update(index_elements=["user_id", "skill_id"], set_=values)
        )
    return changes


def update_profile(
    *, session: Session, actor: Principal, learner_id: uuid.UUID, update: ProfileUpdate, now: datetime
) -> ProfileRead:
    """Apply preferences and levels; one ``updated profile`` event when anything changed, none otherwise.

    Levels sent by the learner are self-assessments (source ``self``); levels an admin sends for someone
    else are recorded as ``admin``.
    """
    get_user(session=session, user_id=learner_id)
    profile = _locked_profile(session, learner_id, now)
    changes: dict[str, Any] = {}
    # Levels first: their checks (unknown skills, measured levels) refuse before anything is written.
    if update.skill_levels:
        source = "self" if actor.user_id == learner_id else "admin"
        written = write_skill_levels(
            session=session,
            learner_id=learner_id,
            levels=[
                SkillLevelWrite(skill_id=item.skill_id, level=item.level) for item in update.skill_levels
            ],
            source=source,
            now=now,
        )
        if written:
            changes["skill_levels"] = [
                {
                    "skill_id": str(change.skill_id),
                    "level": change.level,
                    "previous_level": change.previous_level,
                    "previous_source": change.previous_source,
                    "source": source,
                }
                for change in written
            ]
    if update.preferences is not None:
        sent = update.preferences.model_dump(include=update.preferences.model_fields_set)
        merged = {**profile.preferences}
        for key, value in sent.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged != profile.preferences:
            changes["preferences"] = {key: merged.get(key) for key in sent}
            profile.preferences = merged
    if changes:
        profile.updated_at = now
        session.flush()
        record_event(
            session,
            actor_id=actor.user_id,
            verb="updated",
            object_type="profile",
            object_id=learner_id,
            occurred_at=now,
            extensions={"target_user_id": str(learner_id), "changes": changes},
        )
    return get_profile(session=session, learner_id=learner_id)
