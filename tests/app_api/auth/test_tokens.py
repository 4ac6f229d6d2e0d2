"""The token life cycle: access-token expiry, refresh rotation, reuse detection, logout, password change."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.web.security import issue_access_token
from tests.app_api.auth.helpers import PASSWORD, bearer, events, login, register, unique_email


def token_rows(session: Session, user_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "select refresh_token_id, family_id, token_hash, revoked_reason, replaced_by_id, expires_at "
            "from refresh_tokens where user_id = :id order by issued_at, revoked_at nulls last"
        ),
        {"id": user_id},
    ).mappings()
    return [dict(row) for row in rows]


def refresh(client: TestClient, token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def session_events(session: Session, user_id: str) -> list[tuple[str, str | None]]:
    return [
        (event["verb"], event["extensions"].get("reason"))
        for event in events(session, actor_id=user_id)
        if event["verb"] in ("logged-in", "logged-out")
    ]


def test_login_returns_a_working_pair_and_writes_logged_in(client: TestClient, session: Session) -> None:
    account = register(client)
    pair = login(client, account["email"])
    assert (pair["token_type"], pair["expires_in"], pair["user_id"], pair["role"]) == (
        "bearer",
        15 * 60,
        account["user_id"],
        "learner",
    )
    assert client.get("/api/v1/me", headers=bearer(pair["access_token"])).json()["email"] == account["email"]

    [row] = token_rows(session, account["user_id"])
    # Only the SHA-256 digest is stored, never the token.
    assert row["token_hash"] == hashlib.sha256(pair["refresh_token"].encode()).hexdigest()
    stored = session.execute(
        text("select count(*) from refresh_tokens where token_hash = :t"), {"t": pair["refresh_token"]}
    )
    assert stored.scalar_one() == 0
    expires = datetime.fromisoformat(pair["refresh_expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)

    [event] = [
        event for event in events(session, actor_id=account["user_id"]) if event["verb"] == "logged-in"
    ]
    assert event["object_type"] == "account" and event["object_id"] == account["user_id"]
    assert event["extensions"] == {"session_id": str(row["family_id"]), "method": "password"}


def test_expired_access_tokens_are_refused(client: TestClient, session: Session) -> None:
    account = register(client)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    user_id = uuid.UUID(account["user_id"])
    stale = issue_access_token(
        settings, user_id=user_id, role="learner", now=datetime.now(UTC) - timedelta(minutes=16)
    )
    fresh = issue_access_token(
        settings, user_id=user_id, role="learner", now=datetime.now(UTC) - timedelta(minutes=14)
    )
    response = client.get("/api/v1/me", headers=bearer(stale))
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token has expired; refresh it or log in again."
    assert client.get("/api/v1/me", headers=bearer(fresh)).json()["user_id"] == account["user_id"]


def test_refresh_rotates_within_the_family(client: TestClient, session: Session) -> None:
    account = register(client)
    first = login(client, account["email"])
    second = refresh(client, first["refresh_token"]).json()
    third = refresh(client, second["refresh_token"]).json()

    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert client.get("/api/v1/me", headers=bearer(third["access_token"])).status_code == 200
    rows = token_rows(session, account["user_id"])
    assert [row["revoked_reason"] for row in rows] == ["rotated", "rotated", None]
    assert len({row["family_id"] for row in rows}) == 1
    assert [row["replaced_by_id"] for row in rows[:2]] == [
        rows[1]["refresh_token_id"],
        rows[2]["refresh_token_id"],
    ]
    # Rotation is not a session start or end: still one logged-in, no logged-out.
    assert session_events(session, account["user_id"]) == [("logged-in", None)]


def test_reusing_a_rotated_token_ends_the_whole_family(client: TestClient, session: Session) -> None:
    account = register(client)
    other_session = login(client, account["email"])
    first = login(client, account["email"])
    second = refresh(client, first["refresh_token"]).json()

    reused = refresh(client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["reason"] == "refresh_token_reused"
    # The thief's (or owner's) newer token died with the family...
    assert refresh(client, second["refresh_token"]).status_code == 401
    rows = token_rows(session, account["user_id"])
    family = {
        row["family_id"]
        for row in rows
        if row["token_hash"] == hashlib.sha256(first["refresh_token"].encode()).hexdigest()
    }
    assert {row["revoked_reason"] for row in rows if row["family_id"] in family} == {
        "rotated",
        "reuse_detected",
    }
    # ...while the account's other session lives on.
    assert refresh(client, other_session["refresh_token"]).status_code == 200
    assert session_events(session, account["user_id"]) == [
        ("logged-in", None),
        ("logged-in", None),
        ("logged-out", "reuse_detected"),
    ]


def test_expired_and_unknown_refresh_tokens_are_refused(client: TestClient, session: Session) -> None:
    account = register(client)
    pair = login(client, account["email"])
    session.execute(
        text("update refresh_tokens set expires_at = now() - interval '1 second' where user_id = :id"),
        {"id": account["user_id"]},
    )
    expired = refresh(client, pair["refresh_token"])
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert refresh(client, "not-a-token").json()["detail"] == "The refresh token is not valid; log in again."


def test_logout_ends_the_session_once(client: TestClient, session: Session) -> None:
    account = register(client)
    pair = login(client, account["email"])
    rotated = refresh(client, pair["refresh_token"]).json()

    assert (
        client.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}).status_code
        == 204
    )
    assert refresh(client, rotated["refresh_token"]).status_code == 401
    assert [row["revoked_reason"] for row in token_rows(session, account["user_id"])] == ["rotated", "logout"]
    # Logging out again changes nothing and writes nothing.
    assert (
        client.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}).status_code
        == 204
    )
    assert session_events(session, account["user_id"]) == [("logged-in", None), ("logged-out", "logout")]
    assert client.post("/api/v1/auth/logout", json={"refresh_token": "unknown"}).status_code == 401


def test_password_change_ends_every_session_and_starts_one(client: TestClient, session: Session) -> None:
    account = register(client)
    phone, laptop = login(client, account["email"]), login(client, account["email"])
    new_password = "a completely different passphrase"

    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=bearer(laptop["access_token"]),
    )
    assert response.status_code == 200, response.text
    fresh = response.json()
    for old in (phone, laptop):
        assert refresh(client, old["refresh_token"]).status_code == 401
    assert refresh(client, fresh["refresh_token"]).status_code == 200
    wrong = client.post("/api/v1/auth/login", json={"email": account["email"], "password": PASSWORD})
    assert wrong.status_code == 401
    assert login(client, account["email"], new_password)["user_id"] == account["user_id"]

    verbs = [
        (event["verb"], event["extensions"].get("reason"))
        for event in events(session, actor_id=account["user_id"])
    ]
    assert verbs.count(("logged-out", "password_changed")) == 2
    [update] = [event for event in events(session, actor_id=account["user_id"]) if event["verb"] == "updated"]
    assert update["object_type"] == "account"
    assert update["extensions"] == {
        "target_user_id": account["user_id"],
        "changes": ["password"],
        "sessions_ended": 2,
    }
    assert new_password not in str(events(session, actor_id=account["user_id"]))


def test_password_change_needs_the_current_password(client: TestClient, session: Session) -> None:
    account = register(client)
    pair = login(client, account["email"])
    headers = bearer(pair["access_token"])
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "not my password", "new_password": "x" * 12},
        headers=headers,
    )
    assert wrong.status_code == 403 and "current password is wrong" in wrong.json()["detail"]
    failures = session.execute(
        text("select count(*) from login_attempts where email = :e and not succeeded"),
        {"e": account["email"]},
    )
    assert failures.scalar_one() == 1
    same = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD},
        headers=headers,
    )
    assert same.status_code == 422 and "must differ" in same.json()["errors"][0]["message"]
    assert (
        client.post(
            "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "x" * 12}
        ).status_code
        == 401
    )
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_a_refresh_carries_the_current_role(client: TestClient, session: Session) -> None:
    account = register(client, unique_email("promoted"))
    pair = login(client, account["email"])
    session.execute(
        text("update users set role = 'instructor' where user_id = :id"), {"id": account["user_id"]}
    )
    assert refresh(client, pair["refresh_token"]).json()["role"] == "instructor"
