"""Fixtures the event tests share."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth_headers, make_user


@pytest.fixture(autouse=True)
def as_admin(request: pytest.FixtureRequest) -> None:
    """Event routes need a signed-in caller; these tests submit for many actors, as an admin may."""
    if "client" in request.fixturenames:
        client: TestClient = request.getfixturevalue("client")
        session: Session = request.getfixturevalue("session")
        admin = make_user(session, role="admin")
        client.headers.update(auth_headers(client.app.state.settings, admin))  # type: ignore[attr-defined]
