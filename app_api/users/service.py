"""Accounts: create, find, list and change the role of users. Every change writes its event.

Other domains (auth, the demo data) create and look up accounts through these functions; none of them
returns or logs a password hash.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.users.exceptions import EmailTakenError, OwnRoleChangeError, UserNotFoundError
from app_api.users.models import LearnerProfile, User
from app_api.users.schemas import UserPage, UserRead
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
