"""Changing a learner's profile: preferences and self-assessed or admin-set levels, one event per change.

Levels are written through ``service.write_skill_levels``, which keeps the rules of their sources (see
``app_api.users.service``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app_api.users import service
from app_api.users.models import LearnerProfile
from app_api.users.schemas import ProfileRead, ProfileUpdate
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def _locked_profile(session: Session, learner_id: uuid.UUID, now: datetime) -> LearnerProfile:
    session.execute(
        insert(LearnerProfile).values(user_id=learner_id, updated_at=now).on_conflict_do_nothing()
    )
    query = select(LearnerProfile).where(LearnerProfile.user_id == learner_id).with_for_update()
    return session.scalars(query).one()


def update_profile(
    *, session: Session, actor: Principal, learner_id: uuid.UUID, update: ProfileUpdate, now: datetime
) -> ProfileRead:
    """Apply preferences and levels; one ``updated profile`` event when anything changed, none otherwise.

    Levels sent by the learner are self-assessments (source ``self``); levels an admin sends for someone
    else are recorded as ``admin``.
    """
    service.get_user(session=session, user_id=learner_id)
    profile = _locked_profile(session, learner_id, now)
    changes: dict[str, Any] = {}
    # Levels first: their checks (unknown skills, measured levels) refuse before anything is written.
    if update.skill_levels:
        source = "self" if actor.user_id == learner_id else "admin"
        written = service.write_skill_levels(
            session=session,
            learner_id=learner_id,
            levels=[
                service.SkillLevelWrite(skill_id=item.skill_id, level=item.level)
                for item in update.skill_levels
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
    return service.get_profile(session=session, learner_id=learner_id)
