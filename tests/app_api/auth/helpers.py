"""Helpers for the accounts tests: accounts through the real routes, tokens, and the events written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Real argon2id at a test-sized cost (1 pass, 8 MiB, 1 lane): the production cost takes ~0.2 s a hash
    on this machine. One test checks the production parameters explicitly."""
    monkeypatch.setenv("SKILLSTUDIO_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("SKILLSTUDIO_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("SKILLSTUDIO_ARGON2_PARALLELISM", "1")
    yield


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_email(name: str = "ann") -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@example.org"


def register(
    client: TestClient, email: str | None = None, *, password: str = PASSWORD, display_name: str = "Ann Lee"
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email or unique_email(), "password": password, "display_name": display_name},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def events(session: Session, *, actor_id: Any = None, object_id: Any = None) -> list[dict[str, Any]]:
    """learner_events rows (oldest first) of an actor and/or an object, as dicts."""
    clauses, params = [], {}
    if actor_id is not None:
        clauses.append("actor_id = :actor")
        params["actor"] = uuid.UUID(str(actor_id))
    if object_id is not None:
        clauses.append("object_id = :object")
        params["object"] = str(object_id)
    rows = session.execute(
        text(
            "select actor_id, verb, object_type, object_id, extensions from learner_events "
            f"where {' and '.join(clauses)} order by occurred_at, verb"
        ),
        params,
    ).mappings()
    return [dict(row) for row in rows]
