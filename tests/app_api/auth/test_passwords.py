"""argon2id hashes: the production format, verification, and rehashing when the cost changes."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.auth.passwords import hash_password, verify_password
from skillstudio.settings import Settings
from tests.app_api.auth.helpers import PASSWORD, events, login, register


def test_production_parameters_are_rfc_9106_argon2id(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, argon2_time_cost=3, argon2_memory_kib=65536, argon2_parallelism=4)
    stored = hash_password(settings, PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hash_password(settings, PASSWORD) != stored  # salted
    assert verify_password(settings, stored, PASSWORD).matches
    assert not verify_password(settings, stored, PASSWORD + " ").matches
    assert not verify_password(settings, None, PASSWORD).matches
    assert not verify_password(settings, "not a hash", PASSWORD).matches


def stored_hash(session: Session, user_id: str) -> str:
    value: str = session.execute(
        text("select password_hash from users where user_id = :id"), {"id": uuid.UUID(user_id)}
    ).scalar_one()
    return value


def test_a_cost_change_rehashes_at_the_next_login(client: TestClient, session: Session) -> None:
    account = register(client)
    assert stored_hash(session, account["user_id"]).startswith("$argon2id$v=19$m=8192,t=1,p=1$")

    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update={"argon2_time_cost": 2})  # type: ignore[attr-defined]
    login(client, account["email"])
    rehashed = stored_hash(session, account["user_id"])
    assert rehashed.startswith("$argon2id$v=19$m=8192,t=2,p=1$")
    # The rehashed password still works, and with an unchanged cost nothing is rehashed again.
    login(client, account["email"])
    assert stored_hash(session, account["user_id"]) == rehashed
    logged_in = [
        event for event in events(session, actor_id=account["user_id"]) if event["verb"] == "logged-in"
    ]
    assert [event["extensions"].get("password_rehashed") for event in logged_in] == [True, None]


def test_no_response_or_event_carries_a_hash(client: TestClient, session: Session) -> None:
    account = register(client)
    pair = login(client, account["email"])
    stored = stored_hash(session, account["user_id"])
    bodies = [
        str(account),
        str(pair),
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}).text,
        str(events(session, actor_id=account["user_id"])),
    ]
    for body in bodies:
        assert stored not in body and "$argon2" not in body and PASSWORD not in body
