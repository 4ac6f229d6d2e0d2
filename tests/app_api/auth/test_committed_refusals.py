"""Refusals that must keep their writes, in the app's real per-request transactions.

The ``client`` fixture runs every request inside the test's one transaction, where a raised error rolls
nothing back; here the app commits and rolls back as in production, on a database of the test's own, so a
401 that lost its failed-attempt row or its family revocation would show.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app_api.auth import service
from app_api.auth.exceptions import AuthRefusal
from skillstudio.settings import Settings
from skillstudio.web.problems import status_of
from tests.app_api.auth.helpers import login, register


@pytest.fixture
def engine(fresh_database: str) -> Iterator[Engine]:
    engine = create_engine(fresh_database)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(fresh_database: str, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, database_url=fresh_database, login_max_failures_per_account=3)


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    from skillstudio.main.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def test_failed_logins_are_committed_with_their_401_and_429(app_client: TestClient, engine: Engine) -> None:
    email = register(app_client)["email"]
    statuses = [
        app_client.post("/api/v1/auth/login", json={"email": email, "password": "wrong password"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert (
        scalar(engine, "select count(*) from login_attempts where email = :e and not succeeded", e=email) == 3
    )


def test_a_reused_token_revokes_its_family_for_good(app_client: TestClient, engine: Engine) -> None:
    account = register(app_client)
    first = login(app_client, account["email"])
    second = app_client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()

    reused = app_client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    live = "select count(*) from refresh_tokens where user_id = :u and revoked_at is null"
    assert scalar(engine, live, u=account["user_id"]) == 0
    ended = "select count(*) from learner_events where actor_id = :u and verb = 'logged-out'"
    assert scalar(engine, ended, u=account["user_id"]) == 1
    assert (
        app_client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code
        == 401
    )


@pytest.mark.parametrize("spread", ["one account", "one IP"])
def test_parallel_guesses_cannot_outrun_the_limit(engine: Engine, settings: Settings, spread: str) -> None:
    """Eight simultaneous wrong passwords on separate connections, for one email or for eight emails from
    one IP: exactly the limit (3) get their password checked, the rest are refused."""
    settings = settings.model_copy(update={"login_max_failures_per_ip": 3})
    emails = [f"guess-{uuid.uuid4().hex[:8]}@example.org" for _ in range(8)]
    if spread == "one account":
        emails = emails[:1] * 8
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def guess(email: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                service.login(
                    session=session,
                    settings=settings,
                    email=email,
                    password="wrong password",
                    client_ip="203.0.113.50",
                    now=datetime.now(UTC),
                )
            except AuthRefusal as refusal:
                statuses.append(status_of(refusal.error))
            session.commit()

    threads = [threading.Thread(target=guess, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [401, 401, 401, 429, 429, 429, 429, 429]
    assert scalar(engine, "select count(*) from login_attempts where client_ip = '203.0.113.50'") == 3
