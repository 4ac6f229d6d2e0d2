"""Access tokens and role checks: expired, forged and wrong-role tokens are refused with problem+json."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from skillstudio.settings import Settings
from skillstudio.web.problems import install_problem_handlers
from skillstudio.web.security import (
    CurrentUser,
    Principal,
    RequireRole,
    decode_access_token,
    issue_access_token,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


@pytest.fixture
def client(settings: Settings) -> TestClient:
    app = FastAPI()
    app.state.settings = settings
    install_problem_handlers(app)

    @app.get("/me")
    def me(user: CurrentUser) -> dict[str, str]:
        return {"user_id": str(user.user_id), "role": user.role}

    @app.get("/admin")
    def admin(user: Annotated[Principal, RequireRole("admin")]) -> dict[str, str]:
        return {"role": user.role}

    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_round_trip_and_secret_is_kept(settings: Settings) -> None:
    user_id = uuid.uuid4()
    token = issue_access_token(settings, user_id=user_id, role="instructor")
    assert decode_access_token(settings, token) == Principal(user_id=user_id, role="instructor")
    # The generated secret persists, so a restarted server still accepts the token.
    assert decode_access_token(Settings(home=settings.home), token).user_id == user_id


def test_routes_check_tokens_and_roles(client: TestClient, settings: Settings) -> None:
    learner = uuid.uuid4()
    token = issue_access_token(settings, user_id=learner, role="learner")
    assert client.get("/me", headers=bearer(token)).json() == {"user_id": str(learner), "role": "learner"}

    missing = client.get("/me")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.headers["content-type"] == "application/problem+json"

    forbidden = client.get("/admin", headers=bearer(token))
    assert forbidden.status_code == 403 and "admin" in forbidden.json()["detail"]
    admin = issue_access_token(settings, user_id=uuid.uuid4(), role="admin")
    assert client.get("/admin", headers=bearer(admin)).json() == {"role": "admin"}


def test_expired_forged_and_refresh_typed_tokens_are_refused(client: TestClient, settings: Settings) -> None:
    old = issue_access_token(
        settings, user_id=uuid.uuid4(), role="admin", now=datetime.now(UTC) - timedelta(hours=1)
    )
    assert "expired" in client.get("/me", headers=bearer(old)).json()["detail"]

    soon = datetime.now(UTC) + timedelta(minutes=5)
    forged = jwt.encode(
        {"sub": str(uuid.uuid4()), "role": "admin", "type": "access", "exp": soon},
        "x" * 48,
        algorithm="HS256",
    )
    assert client.get("/me", headers=bearer(forged)).status_code == 401

    claims = {"sub": str(uuid.uuid4()), "role": "admin", "type": "refresh", "exp": soon}
    other_type = jwt.encode(claims, settings.signing_secret(), algorithm="HS256")
    assert client.get("/me", headers=bearer(other_type)).status_code == 401
    assert client.get("/me", headers=bearer("garbage")).status_code == 401
