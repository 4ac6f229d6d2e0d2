"""The inbox routes: only the owner's notifications, keyset pages, unread filter and count, mark read
(with its event), and preferences."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.notifications import service as notifications
from app_api.users.models import User
from tests.factories import auth_headers, make_user

ME = "/api/v1/me"


def headers(client: TestClient, user: User) -> dict[str, str]:
    return auth_headers(client.app.state.settings, user)  # type: ignore[attr-defined]


def events(session: Session, object_type: str, object_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return session.execute(
        text(
            "select verb, actor_id, extensions from learner_events "
            "where object_type = :type and object_id = :id"
        ),
        {"type": object_type, "id": str(object_id)},
    ).all()


def seed(session: Session, user: User, count: int) -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        notification_id = notifications.notify(
            session, user_id=user.user_id, kind="level_up", title=f"Level {n}", body="up"
        )
        assert notification_id is not None
        ids.append(notification_id)
    return ids


def test_pages_newest_first_with_unread_filter_and_count(client: TestClient, session: Session) -> None:
    user, other = make_user(session), make_user(session)
    ids = seed(session, user, 5)
    seed(session, other, 2)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{ME}/notifications", params=params, headers=headers(client, user)).json()
        assert page["unread_count"] == 5
        seen += [item["notification_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(i) for i in ids)  # all of mine, none of the other's, no repeats
    assert len(seen) == 5

    read = client.post(f"{ME}/notifications/{ids[0]}/read", headers=headers(client, user))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    unread = client.get(
        f"{ME}/notifications", params={"unread_only": True}, headers=headers(client, user)
    ).json()
    assert unread["unread_count"] == 4
    assert str(ids[0]) not in [item["notification_id"] for item in unread["items"]]


def test_only_the_owner_can_mark_read(client: TestClient, session: Session) -> None:
    user, other = make_user(session), make_user(session)
    (notification_id,) = seed(session, user, 1)
    response = client.post(f"{ME}/notifications/{notification_id}/read", headers=headers(client, other))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        client.post(f"{ME}/notifications/{uuid.uuid4()}/read", headers=headers(client, user)).status_code
        == 404
    )
    assert client.get(f"{ME}/notifications").status_code == 401
    assert events(session, "notification", notification_id) == []


def test_mark_read_writes_one_event_and_keeps_the_first_read_time(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    (notification_id,) = seed(session, user, 1)
    first = client.post(f"{ME}/notifications/{notification_id}/read", headers=headers(client, user)).json()
    second = client.post(f"{ME}/notifications/{notification_id}/read", headers=headers(client, user)).json()
    assert first["read_at"] == second["read_at"]
    assert [(verb, actor) for verb, actor, _ in events(session, "notification", notification_id)] == [
        ("updated", user.user_id)
    ]


def test_read_all_marks_only_mine(client: TestClient, session: Session) -> None:
    user, other = make_user(session), make_user(session)
    seed(session, user, 3)
    seed(session, other, 2)
    done = client.post(f"{ME}/notifications/read-all", headers=headers(client, user))
    assert done.json() == {"marked": 3}
    assert client.post(f"{ME}/notifications/read-all", headers=headers(client, user)).json() == {"marked": 0}
    assert notifications.unread_count(session, other.user_id) == 2
    assert len(events(session, "notifications", user.user_id)) == 1


def test_preferences_read_and_change(client: TestClient, session: Session) -> None:
    user = make_user(session)
    url = f"{ME}/notification-preferences"
    before = {p["kind"]: p for p in client.get(url, headers=headers(client, user)).json()["preferences"]}
    assert before["level_up"] == {"kind": "level_up", "in_app": True, "email": False}
    assert len(before) == 7
    body = {"preferences": [{"kind": "level_up", "in_app": True, "email": True}]}
    after = {
        p["kind"]: p for p in client.put(url, json=body, headers=headers(client, user)).json()["preferences"]
    }
    assert after["level_up"]["email"] is True and after["certificate_issued"] == before["certificate_issued"]
    client.put(url, json=body, headers=headers(client, user))  # no change: no second event
    assert len(events(session, "notification_preferences", user.user_id)) == 1
    bad = client.put(url, json={"preferences": [{"kind": "spam", "in_app": True, "email": True}]},
                     headers=headers(client, user))  # fmt: skip
    assert bad.status_code == 422
