"""Account routes: /me, the admin's user list (filters, cursor pages), one account, role changes."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.users.models import User
from tests.app_api.auth.helpers import events, login, register
from tests.factories import auth_headers, make_user


def headers(client: TestClient, user: User) -> dict[str, str]:
    return auth_headers(client.app.state.settings, user)  # type: ignore[attr-defined]


def test_me_answers_the_callers_account(client: TestClient, session: Session) -> None:
    instructor = make_user(session, role="instructor")
    me = client.get("/api/v1/me", headers=headers(client, instructor)).json()
    assert (me["user_id"], me["email"], me["role"], me["can_log_in"]) == (
        str(instructor.user_id),
        instructor.email,
        "instructor",
        False,
    )
    assert client.get("/api/v1/me").status_code == 401
    ghost = User(user_id=uuid.uuid4(), email=None, display_name="gone", role="learner")
    assert client.get("/api/v1/me", headers=headers(client, ghost)).status_code == 404


def test_admin_lists_users_by_role_and_email_prefix_in_pages(client: TestClient, session: Session) -> None:
    admin = make_user(session, role="admin")
    tag = uuid.uuid4().hex[:8]
    learners = [make_user(session, email=f"p{tag}-{number}@example.org") for number in range(5)]
    make_user(session, role="instructor", email=f"p{tag}-teacher@example.org")
    make_user(session, email=f"p{tag}x9@example.org")  # matches only if '_' were a wildcard

    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params = {
            "role": "learner",
            "email_prefix": f"P{tag}-",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = client.get("/api/v1/users", params=params, headers=headers(client, admin)).json()
        seen += [item["email"] for item in page["items"]]
        assert all(item["role"] == "learner" for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(user.email) for user in learners)
    assert len(seen) == len(set(seen)) == 5

    underscore = client.get(
        "/api/v1/users", params={"email_prefix": f"p{tag}_"}, headers=headers(client, admin)
    ).json()
    assert underscore["items"] == []
    bad = client.get("/api/v1/users", params={"cursor": "bm9wZQ"}, headers=headers(client, admin))
    assert bad.status_code == 400 and "cursor" in bad.json()["detail"]
    for params in ({"limit": 101}, {"email_prefix": "a\x00"}, {"role": "root"}):
        assert client.get("/api/v1/users", params=params, headers=headers(client, admin)).status_code == 422


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_admin_routes_refuse_everyone_else(client: TestClient, session: Session, role: str) -> None:
    caller, target = make_user(session, role=role), make_user(session)
    caller_headers = headers(client, caller)
    responses = [
        client.get("/api/v1/users", headers=caller_headers),
        client.get(f"/api/v1/users/{target.user_id}", headers=caller_headers),
        client.put(f"/api/v1/users/{target.user_id}/role", json={"role": "admin"}, headers=caller_headers),
        client.put(f"/api/v1/users/{caller.user_id}/role", json={"role": "admin"}, headers=caller_headers),
    ]
    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert all("admin accounts only" in response.json()["detail"] for response in responses)
    roles = session.execute(
        text("select role from users where user_id in (:a, :b) order by role"),
        {"a": caller.user_id, "b": target.user_id},
    ).scalars()
    assert sorted(roles) == sorted([role, "learner"])
    assert client.get("/api/v1/users").status_code == 401


def test_admin_reads_one_account(client: TestClient, session: Session) -> None:
    admin, target = make_user(session, role="admin"), make_user(session)
    read = client.get(f"/api/v1/users/{target.user_id}", headers=headers(client, admin)).json()
    assert (read["user_id"], read["email"]) == (str(target.user_id), target.email)
    missing = client.get(f"/api/v1/users/{uuid.uuid4()}", headers=headers(client, admin))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_role_change_writes_its_event_and_reaches_the_next_refresh(
    client: TestClient, session: Session
) -> None:
    admin = make_user(session, role="admin")
    account = register(client)
    pair = login(client, account["email"])

    changed = client.put(
        f"/api/v1/users/{account['user_id']}/role",
        json={"role": "instructor"},
        headers=headers(client, admin),
    )
    assert changed.status_code == 200 and changed.json()["role"] == "instructor"
    [event] = [event for event in events(session, actor_id=admin.user_id) if event["verb"] == "updated"]
    assert event == {
        "actor_id": admin.user_id,
        "verb": "updated",
        "object_type": "account",
        "object_id": account["user_id"],
        "extensions": {
            "target_user_id": account["user_id"],
            "changes": {"role": {"from": "learner", "to": "instructor"}},
        },
    }
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    assert refreshed["role"] == "instructor"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {refreshed['access_token']}"}).json()
    assert me["role"] == "instructor"

    # The same role again changes nothing and writes no event.
    client.put(
        f"/api/v1/users/{account['user_id']}/role",
        json={"role": "instructor"},
        headers=headers(client, admin),
    )
    assert (
        len([event for event in events(session, actor_id=admin.user_id) if event["verb"] == "updated"]) == 1
    )


def test_role_change_refusals(client: TestClient, session: Session) -> None:
    admin = make_user(session, role="admin")
    own = client.put(
        f"/api/v1/users/{admin.user_id}/role", json={"role": "learner"}, headers=headers(client, admin)
    )
    assert own.status_code == 409 and "another admin" in own.json()["detail"]
    unknown = client.put(
        f"/api/v1/users/{uuid.uuid4()}/role", json={"role": "learner"}, headers=headers(client, admin)
    )
    assert unknown.status_code == 404
    target = make_user(session)
    bad = client.put(
        f"/api/v1/users/{target.user_id}/role", json={"role": "root"}, headers=headers(client, admin)
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.role"
    assert session.get(User, admin.user_id).role == "admin"  # type: ignore[union-attr]
    assert events(session, actor_id=admin.user_id) == []
