"""Registration: normalised unique emails, argon2id hashes never shown, a learner account and its event."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app_api.users.models import User
from tests.app_api.auth.helpers import PASSWORD, bearer, events, login, register, unique_email


def stored_user(session: Session, user_id: str) -> User:
    user = session.get(User, uuid.UUID(user_id))
    assert user is not None
    return user


def test_register_creates_a_learner_with_normalised_email_profile_and_event(
    client: TestClient, session: Session
) -> None:
    tag = uuid.uuid4().hex[:8]
    account = register(client, f"  Ann.Lee.{tag}@Example.ORG ", display_name="  Ann Lee ")

    assert account["email"] == f"ann.lee.{tag}@example.org"
    assert (account["display_name"], account["role"], account["can_log_in"]) == ("Ann Lee", "learner", True)
    assert account["last_login_at"] is None
    assert "password" not in str(account) and "argon2" not in str(account)
    profile = session.execute(
        text("select attributes, preferences from learner_profiles where user_id = :id"),
        {"id": account["user_id"]},
    ).one()
    assert tuple(profile) == ({}, {})
    assert events(session, actor_id=account["user_id"]) == [
        {
            "actor_id": uuid.UUID(account["user_id"]),
            "verb": "registered",
            "object_type": "account",
            "object_id": account["user_id"],
            "extensions": {"role": "learner"},
        }
    ]
    # Logging in with any spelling of the address works.
    tokens = login(client, f"ANN.LEE.{tag}@example.org")
    me = client.get("/api/v1/me", headers=bearer(tokens["access_token"])).json()
    assert me["user_id"] == account["user_id"] and me["last_login_at"] is not None


def test_duplicate_emails_are_a_409_whatever_their_case(client: TestClient, session: Session) -> None:
    email = unique_email()
    register(client, email)
    duplicate = client.post(
        "/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD, "display_name": "Other"}
    )
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"
    assert "already exists" in duplicate.json()["detail"]
    count = session.execute(
        text("select count(*) from users where lower(email) = :e"), {"e": email}
    ).scalar_one()
    assert count == 1


def test_the_database_refuses_case_variants_written_around_the_api(session: Session) -> None:
    email = unique_email()
    session.execute(
        text("insert into users (user_id, email, display_name) values (:id, :email, 'Bulk')"),
        {"id": uuid.uuid4(), "email": email.upper()},
    )
    with pytest.raises(IntegrityError, match="uq_users_email_lower"), session.begin_nested():
        session.execute(
            text("insert into users (user_id, email, display_name) values (:id, :email, 'Bulk')"),
            {"id": uuid.uuid4(), "email": email},
        )


def test_a_bulk_written_mixed_case_email_blocks_registration(client: TestClient, session: Session) -> None:
    email = unique_email()
    session.execute(
        text("insert into users (user_id, email, display_name) values (:id, :email, 'Bulk')"),
        {"id": uuid.uuid4(), "email": email.replace("ann", "ANN")},
    )
    response = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Ann"}
    )
    assert response.status_code == 409


def test_bad_input_is_a_422_naming_the_field(client: TestClient, session: Session) -> None:
    cases = {
        "body.email": {"email": "not-an-address", "password": PASSWORD, "display_name": "A"},
        "body.password": {"email": unique_email(), "password": "short", "display_name": "A"},
        "body.display_name": {"email": unique_email(), "password": PASSWORD, "display_name": "   "},
        "body.role": {"email": unique_email(), "password": PASSWORD, "display_name": "A", "role": "admin"},
    }
    control = {"email": unique_email(), "password": PASSWORD, "display_name": "Ann\x00Lee"}
    for field, body in [*cases.items(), ("body.display_name", control)]:
        response = client.post("/api/v1/auth/register", json=body)
        assert response.status_code == 422, field
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == [field]
    too_short = client.post("/api/v1/auth/register", json=cases["body.password"]).json()["errors"][0]
    assert "at least 12 characters" in too_short["message"]
    assert session.execute(text("select count(*) from users where display_name = 'A'")).scalar_one() == 0


def test_stored_hash_is_argon2id_and_never_the_password(client: TestClient, session: Session) -> None:
    account = register(client)
    stored = stored_user(session, account["user_id"]).password_hash
    assert stored is not None and stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert PASSWORD not in stored


def test_imported_learners_and_accounts_without_password_cannot_log_in(
    client: TestClient, session: Session
) -> None:
    imported = User(user_id=uuid.uuid4(), external_id=f"oulad:student:{uuid.uuid4().hex}", display_name="S")
    generated = User(user_id=uuid.uuid4(), email=unique_email("gen"), display_name="Generated")
    session.add_all([imported, generated])
    session.flush()
    for email in (generated.email, "nobody@example.org"):
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 401
        assert response.json()["detail"] == "The email or password is wrong."
    # A password without an email is refused by the table itself.
    with pytest.raises(IntegrityError, match="ck_users_password_needs_email"), session.begin_nested():
        session.execute(
            text("update users set password_hash = '$argon2id$v=19$m=8192,t=1,p=1$x$y' where user_id = :id"),
            {"id": imported.user_id},
        )
