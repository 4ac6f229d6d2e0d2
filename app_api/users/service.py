"""Accounts and learner profiles. Every change writes its event.

Accounts: create, find, list and change the role of users. Other domains (auth, the demo data) create and
look up accounts through these functions; only ``Credentials``, which the auth domain checks passwords
against, carries a password hash, and it never prints it.

Profiles: preferences, imported attributes and per-skill levels. Reading them and the rules of writing
levels are here; the profile route's update is in ``app_api.users.profiles``. Who may overwrite a level
(decision): a level carries its source. A self-assessment (source ``self``) only creates a level or
replaces an earlier self-assessment; it never replaces a measured level (``diagnostic``, ``import``,
``admin``, ``mastery``), because a learner's guess is weaker evidence than a measurement and the
learning-path generator must not lose the better estimate. Such a request is refused whole with a 409
naming the skills, never applied in part or skipped silently. Measurements (a diagnostic, an admin's
correction, mastery) replace any earlier level: they are newer evidence. The assessments domain writes
diagnostic levels through ``write_skill_levels``; the mastery domain writes ``mastery`` levels after
every answer on a skill (so a profile level follows the learner's answers, the diagnostic's included).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.courses.schemas import SkillRef
from app_api.users.exceptions import (
    EmailTakenError,
    MeasuredLevelConflictError,
    OwnRoleChangeError,
    UnknownSkillsError,
    UserNotFoundError,
)
from app_api.users.models import LearnerProfile, LearnerSkillLevel, User
from app_api.users.schemas import (
    PreferencesRead,
    ProfileRead,
    SkillLevelRead,
    UserPage,
    UserRead,
)
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal


def user_read(user: User) -> UserRead:
    return UserRead(
        user_id=user.user_id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        can_log_in=user.password_hash is not None,
        created_at=user.created_at,
        updated_at=user.updated_at,
        last_login_at=user.last_login_at,
    )


def get_user(*, session: Session, user_id: uuid.UUID, for_update: bool = False) -> User:
    """The user, or a 404 problem."""
    query = select(User).where(User.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    user = session.scalars(query).one_or_none()
    if user is None:
        raise UserNotFoundError(user_id)
    return user


def find_by_email(*, session: Session, email: str, for_update: bool = False) -> User | None:
    """The account with this (already normalised) email; the comparison ignores case like the index."""
    query = select(User).where(func.lower(User.email) == email.lower())
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


@dataclass(frozen=True)
class Credentials:
    """An account as a login sees it: what the auth domain checks a password against and puts in tokens."""

    user_id: uuid.UUID
    email: str | None
    role: str
    password_hash: str | None = field(repr=False)


def _credentials(user: User) -> Credentials:
    return Credentials(
        user_id=user.user_id, email=user.email, role=user.role, password_hash=user.password_hash
    )


def find_credentials(session: Session, *, email: str, for_update: bool = False) -> Credentials | None:
    """The credentials of the account with this (normalised) email, if there is one."""
    user = find_by_email(session=session, email=email, for_update=for_update)
    return None if user is None else _credentials(user)


def get_credentials(session: Session, *, user_id: uuid.UUID, for_update: bool = False) -> Credentials:
    """The credentials of an account, or a 404 problem."""
    return _credentials(get_user(session=session, user_id=user_id, for_update=for_update))


def record_login(
    session: Session, *, user_id: uuid.UUID, now: datetime, renewed_hash: str | None = None
) -> None:
    """Stamp a successful login; ``renewed_hash`` (the same password hashed with today's parameters)
    replaces the stored hash without counting as a change of the account."""
    user = session.get_one(User, user_id)
    if renewed_hash is not None:
        user.password_hash = renewed_hash
    user.last_login_at = now


def set_password_hash(session: Session, *, user_id: uuid.UUID, password_hash: str, now: datetime) -> None:
    """Store a new password's hash; the caller (the auth domain) checked the old one and writes the event."""
    user = session.get_one(User, user_id)
    user.password_hash = password_hash
    user.updated_at = now


def create_user(
    *,
    session: Session,
    email: str,
    display_name: str,
    password_hash: str,
    now: datetime,
    role: str = "learner",
    actor_id: uuid.UUID | None = None,
) -> User:
    """A new account with an empty learner profile and its ``registered account`` event.

    ``email`` must be normalised (``app_api.users.emails``). ``actor_id`` is whoever created the account
    (an admin or the demo loader); unset, the new user registered themselves. A duplicate email, even
    one inserted concurrently by another request, is a 409 problem.
    """
    if find_by_email(session=session, email=email) is not None:
        raise EmailTakenError()
    user = User(
        user_id=uuid.uuid4(),
        email=email,
        display_name=display_name,
        role=role,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    try:
        # A savepoint, so a concurrent registration's unique violation leaves the request's transaction
        # usable for the 409 answer.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:
        raise EmailTakenError() from error
    session.execute(
        insert(LearnerProfile).values(user_id=user.user_id, updated_at=now).on_conflict_do_nothing()
    )
    record_event(
        session,
        actor_id=actor_id or user.user_id,
        verb="registered",
        object_type="account",
        object_id=user.user_id,
        occurred_at=now,
        extensions={"role": role},
    )
    return user


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def list_users(
    *,
    session: Session,
    role: str | None = None,
    email_prefix: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> UserPage:
    """Accounts oldest first, keyset-paginated on (created_at, user_id)."""
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if email_prefix:
        query = query.where(
            func.lower(User.email).like(_like_prefix(email_prefix.strip().lower()), escape="\\")
        )
    after = parse_cursor(cursor, tag="users", kinds=(datetime, uuid.UUID))
    columns = (User.created_at, User.user_id)
    rows = session.scalars(keyset(query, columns=columns, after=after, limit=limit)).all()
    users, next_cursor = page_of(
        rows, limit=limit, tag="users", key_of=lambda user: [user.created_at, user.user_id]
    )
    return UserPage(items=[user_read(user) for user in users], next_cursor=next_cursor)


def change_role(*, session: Session, actor: Principal, user_id: uuid.UUID, role: str, now: datetime) -> User:
    """Give a user another role (an admin's action); unchanged roles write nothing.

    Access tokens already issued keep the old role until they expire (minutes); the next refresh reads
    the new one, so the change needs no token revocation.
    """
    if actor.user_id == user_id:
        raise OwnRoleChangeError()
    user = get_user(session=session, user_id=user_id, for_update=True)
    if user.role == role:
        return user
    changes: dict[str, Any] = {"role": {"from": user.role, "to": role}}
    user.role = role
    user.updated_at = now
    session.flush()
    record_event(
        session,
        actor_id=actor.user_id,
        verb="updated",
        object_type="account",
        object_id=user_id,
        occurred_at=now,
        extensions={"target_user_id": str(user_id), "changes": changes},
    )
    return user


# ---- learner profiles


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


def _level_read(level: LearnerSkillLevel, skill: SkillRef) -> SkillLevelRead:
    return SkillLevelRead(
        skill_id=skill.skill_id,
        skill_slug=skill.slug,
        skill_name=skill.name,
        level=level.level,
        standard_error=level.standard_error,
        source=level.source,
        updated_at=level.updated_at,
    )


def get_profile(*, session: Session, learner_id: uuid.UUID) -> ProfileRead:
    """The profile of an existing user (404 otherwise); users never written to get an empty one."""
    get_user(session=session, user_id=learner_id)
    profile = session.get(LearnerProfile, learner_id)
    levels = {
        level.skill_id: level
        for level in session.scalars(select(LearnerSkillLevel).where(LearnerSkillLevel.user_id == learner_id))
    }
    skills = courses.skills_by_id(session, skill_ids=levels)
    preferences = profile.preferences if profile else {}
    return ProfileRead(
        learner_id=learner_id,
        preferences=PreferencesRead(
            weekly_hours=preferences.get("weekly_hours"),
            preferred_difficulty=preferences.get("preferred_difficulty"),
            display_name=preferences.get("display_name"),
            time_zone=preferences.get("time_zone") or "UTC",
            leaderboard_opt_out=bool(preferences.get("leaderboard_opt_out")),
        ),
        attributes=profile.attributes if profile else {},
        skill_levels=[_level_read(levels[skill.skill_id], skill) for skill in skills.values()],  # slug order
        updated_at=profile.updated_at if profile else None,
    )


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
    known = courses.skills_by_id(session, skill_ids=wanted)
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


# The profile level following mastery runs on every answer, so the mastery domain runs this statement
# inside its own write (one round trip fewer). This domain owns it and its rules: a measurement, so it
# replaces any level; the skill exists (the answered question's); the answer's event carries the change,
# so unlike ``write_skill_levels`` nothing is validated or returned. Parameters: :user_id, :skill_id,
# :profile_level, :profile_standard_error, :now.
FOLLOW_MASTERY_SQL = (
    "insert into learner_skill_levels (user_id, skill_id, level, standard_error, source, updated_at) "
    "values (:user_id, :skill_id, :profile_level, :profile_standard_error, 'mastery', :now) "
    "on conflict (user_id, skill_id) do update set level = excluded.level, "
    "standard_error = excluded.standard_error, source = 'mastery', updated_at = excluded.updated_at"
)


def display_names(session: Session, *, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``user_id -> display_name`` of the users that exist among ``user_ids``, in one query."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.user_id, User.display_name).where(User.user_id.in_(list(user_ids))))
    return {user_id: name for user_id, name in rows}


def display_name_rows() -> Select[uuid.UUID, str]:
    """Every user's ``(user_id, display_name)`` as plain columns, for other domains' reports to join
    (``.subquery()``) in one query of their own instead of a second query for the names."""
    return select(User.user_id, User.display_name)


def preferred_name(session: Session, *, user_id: uuid.UUID) -> str:
    """The name a learner chose for their certificates (profile preference ``display_name``), or their
    account's display name when they chose none."""
    found = session.execute(
        select(User.display_name, LearnerProfile.preferences["display_name"].astext)
        .outerjoin(LearnerProfile, LearnerProfile.user_id == User.user_id)
        .where(User.user_id == user_id)
    ).first()
    if found is None:
        raise UserNotFoundError(user_id)
    name, chosen = str(found[0]), found[1]
    return chosen if isinstance(chosen, str) and chosen.strip() else name


def max_measured_level(session: Session, *, user_id: uuid.UUID) -> int | None:
    """The learner's highest measured level on any skill, floored (self-assessments do not count); None
    without one."""
    level = session.scalar(
        select(func.max(LearnerSkillLevel.level)).where(
            LearnerSkillLevel.user_id == user_id, LearnerSkillLevel.source != "self"
        )
    )
    return None if level is None else int(level)
