"""Request dependencies shared by the learning API and the serving layer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from skillstudio.security import require_role


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed once when the route returns without error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]

# Admin routes are for accounts with the admin role (JWT from POST /api/v1/auth/login).
# Use as ``dependencies=[RequireAdmin]`` on an admin router or route.
RequireAdmin = Depends(require_role("admin"))
