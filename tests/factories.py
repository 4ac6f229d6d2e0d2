"""Rows for tests, written through the real database session."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app_api.users.models import User
from skillstudio.settings import Settings
from skillstudio.web.security import issue_access_token


def make_user(session: Session, *, role: str = "learner", email: str | None = None) -> User:
    user = User(
        user_id=uuid.uuid4(),
        email=email or f"{role}-{uuid.uuid4().hex[:10]}@example.test",
        display_name=f"Test {role}",
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def auth_headers(settings: Settings, user: User) -> dict[str, str]:
    """A bearer header for ``user``, signed like the app signs its tokens."""
    token = issue_access_token(settings, user_id=user.user_id, role=user.role)
    return {"Authorization": f"Bearer {token}"}
