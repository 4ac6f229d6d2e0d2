"""Learning goals: CRUD for the learner's own goals, the gap per skill, events, and who may see what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.courses.models import Skill
from app_api.users.models import LearnerSkillLevel, User
from tests.factories import auth_headers, make_user

GOALS = "/api/v1/goals"


def skill(session: Session, name: str) -> Skill:
    row = Skill(skill_id=uuid.uuid4(), slug=f"{name}-{uuid.uuid4().hex[:6]}", name=name)
    session.add(row)
    session.flush()
    return row


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def goal_events(session: Session, goal_id: str) -> list[tuple[Any, ...]]:
    return session.execute(
        text(
            "select verb, actor_id, extensions from learner_events "
            "where object_type = 'goal' and object_id = :id order by occurred_at, verb"
        ),
        {"id": goal_id},
    ).all()


class Setup:
    def __init__(self, client: TestClient, session: Session) -> None:
        settings = client.app.state.settings  # type: ignore[attr-defined]
        self.learner, self.other, self.admin = (
            make_user(session, role=r) for r in ("learner", "learner", "admin")
        )
        self.instructor = make_user(session, role="instructor")
        self.sql, self.stats, self.python = (
            skill(session, "sql"),
            skill(session, "stats"),
            skill(session, "python"),
        )
        self.headers = {
            user.user_id: auth_headers(settings, user)
            for user in (self.learner, self.other, self.admin, self.instructor)
        }

    def h(self, user: User) -> dict[str, str]:
        return self.headers[user.user_id]


def test_gap_per_skill_against_current_levels_and_hours_until_deadline(
    client: TestClient, session: Session
) -> None:
    s = Setup(client, session)
    session.add_all(
        [
            LearnerSkillLevel(
                user_id=s.learner.user_id,
                skill_id=s.sql.skill_id,
                level=4.5,
                standard_error=0.6,
                source="diagnostic",
            ),
            LearnerSkillLevel(
                user_id=s.learner.user_id, skill_id=s.python.skill_id, level=9.0, source="self"
            ),
        ]
    )
    session.flush()
    body = {
        "title": "Analyst",
        "deadline": in_days(28),
        "hours_per_week": 5,
        "skills": [
            {"skill_id": str(s.sql.skill_id), "target_level": 8},
            {"skill_id": str(s.stats.skill_id), "target_level": 6.5},
            {"skill_id": str(s.python.skill_id), "target_level": 7},
        ],
    }
    created = client.post(GOALS, json=body, headers=s.h(s.learner))
    assert created.status_code == 201, created.text
    goal = created.json()
    assert (goal["user_id"], goal["status"], goal["hours_per_week"]) == (
        str(s.learner.user_id),
        "active",
        5.0,
    )

    gap = client.get(f"{GOALS}/{goal['goal_id']}/gap", headers=s.h(s.learner)).json()
    by_name = {item["name"]: item for item in gap["skills"]}
    assert {
        name: (i["current_level"], i["current_level_known"], i["gap"]) for name, i in by_name.items()
    } == {
        "sql": (4.5, True, 3.5),  # 8 - 4.5
        "stats": (1.0, False, 5.5),  # unknown counts as level 1
        "python": (9.0, True, 0.0),  # already above the target
    }
    assert (by_name["sql"]["current_source"], by_name["sql"]["standard_error"]) == ("diagnostic", 0.6)
    assert (gap["days_left"], gap["hours_available"], gap["total_gap"]) == (28, 20.0, 9.0)
    assert gap["hours_per_level"] == round(20 / 9, 2)

    (event,) = goal_events(session, goal["goal_id"])
    assert (event[0], event[1]) == ("created", s.learner.user_id)
    assert event[2]["targets"] == {
        str(s.sql.skill_id): 8,
        str(s.stats.skill_id): 6.5,
        str(s.python.skill_id): 7,
    }


def test_update_replaces_targets_and_delete_removes_with_events(client: TestClient, session: Session) -> None:
    s = Setup(client, session)
    goal = client.post(
        GOALS,
        json={
            "deadline": in_days(10),
            "hours_per_week": 3,
            "skills": [{"skill_id": str(s.sql.skill_id), "target_level": 5}],
        },
        headers=s.h(s.learner),
    ).json()
    url = f"{GOALS}/{goal['goal_id']}"
    unchanged = client.patch(url, json={"hours_per_week": 3, "deadline": in_days(10)}, headers=s.h(s.learner))
    assert unchanged.json()["updated_at"] == goal["updated_at"]  # no change, no event
    updated = client.patch(
        url,
        json={
            "hours_per_week": 7,
            "status": "achieved",
            "skills": [{"skill_id": str(s.stats.skill_id), "target_level": 10}],
        },
        headers=s.h(s.learner),
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["hours_per_week"], updated.json()["status"]) == (7.0, "achieved")
    assert updated.json()["skills"] == [{"skill_id": str(s.stats.skill_id), "target_level": 10.0}]
    gap = client.get(f"{url}/gap", headers=s.h(s.learner)).json()
    assert (gap["total_gap"], gap["hours_available"]) == (9.0, 10.0)  # 7 h/week * 10 days / 7

    assert client.delete(url, headers=s.h(s.learner)).status_code == 204
    assert client.get(url, headers=s.h(s.learner)).status_code == 404
    assert [
        (verb, extensions.get("fields")) for verb, _, extensions in goal_events(session, goal["goal_id"])
    ] == [("created", None), ("updated", ["hours_per_week", "skills", "status"]), ("deleted", None)]
    rows = session.execute(
        text("select count(*) from learning_goal_skills where goal_id = :g"), {"g": goal["goal_id"]}
    )
    assert rows.scalar_one() == 0


def test_invalid_goals_are_422_and_write_nothing(client: TestClient, session: Session) -> None:
    s = Setup(client, session)
    target = [{"skill_id": str(s.sql.skill_id), "target_level": 5}]
    cases = [
        ({"deadline": in_days(0), "hours_per_week": 3, "skills": target}, "body.deadline"),
        ({"deadline": in_days(5), "hours_per_week": 0, "skills": target}, "body.hours_per_week"),
        ({"deadline": in_days(5), "hours_per_week": 3, "skills": []}, "body.skills"),
        (
            {
                "deadline": in_days(5),
                "hours_per_week": 3,
                "skills": [{"skill_id": str(s.sql.skill_id), "target_level": 11}],
            },
            "body.skills.0.target_level",
        ),
        (
            {
                "deadline": in_days(5),
                "hours_per_week": 3,
                "skills": [{"skill_id": str(uuid.uuid4()), "target_level": 5}],
            },
            "body.skills",
        ),
        ({"deadline": in_days(5), "hours_per_week": 3, "skills": target * 2}, "body"),
    ]
    for body, field in cases:
        response = client.post(GOALS, json=body, headers=s.h(s.learner))
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field, response.json()
    goal = client.post(
        GOALS, json={"deadline": in_days(5), "hours_per_week": 3, "skills": target}, headers=s.h(s.learner)
    ).json()
    for change in ({"deadline": in_days(-1)}, {"hours_per_week": None}, {"status": "done"}):
        assert (
            client.patch(f"{GOALS}/{goal['goal_id']}", json=change, headers=s.h(s.learner)).status_code == 422
        )
    count = session.execute(
        text("select count(*) from learner_events where object_type = 'goal'")
    ).scalar_one()
    assert count == 1


def test_goals_are_private_to_their_learner_and_admins(client: TestClient, session: Session) -> None:
    s = Setup(client, session)
    body = {
        "deadline": in_days(30),
        "hours_per_week": 4,
        "skills": [{"skill_id": str(s.sql.skill_id), "target_level": 6}],
    }
    mine = client.post(GOALS, json=body, headers=s.h(s.learner)).json()
    theirs = client.post(GOALS, json=body, headers=s.h(s.other)).json()
    url = f"{GOALS}/{mine['goal_id']}"
    for intruder in (s.other, s.instructor):
        assert client.get(url, headers=s.h(intruder)).status_code == 403
        assert client.get(f"{url}/gap", headers=s.h(intruder)).status_code == 403
        assert client.patch(url, json={"hours_per_week": 1}, headers=s.h(intruder)).status_code == 403
        assert client.delete(url, headers=s.h(intruder)).status_code == 403
        listed = client.get(GOALS, params={"learner_id": str(s.learner.user_id)}, headers=s.h(intruder))
        assert listed.status_code == 403
    assert client.get(url).status_code == 401

    own = client.get(GOALS, headers=s.h(s.learner)).json()
    assert [g["goal_id"] for g in own["items"]] == [mine["goal_id"]]
    by_admin = client.get(GOALS, params={"learner_id": str(s.other.user_id)}, headers=s.h(s.admin)).json()
    assert [g["goal_id"] for g in by_admin["items"]] == [theirs["goal_id"]]
    assert (
        client.patch(url, json={"title": "set by admin"}, headers=s.h(s.admin)).json()["title"]
        == "set by admin"
    )
    assert client.get(url, headers=s.h(s.learner)).json()["hours_per_week"] == 4.0
    edits = [(verb, actor) for verb, actor, _ in goal_events(session, mine["goal_id"])]
    assert edits == [("created", s.learner.user_id), ("updated", s.admin.user_id)]


def test_goal_list_pages_and_filters_by_status(client: TestClient, session: Session) -> None:
    s = Setup(client, session)
    body = {
        "deadline": in_days(9),
        "hours_per_week": 2,
        "skills": [{"skill_id": str(s.sql.skill_id), "target_level": 3}],
    }
    ids = [
        client.post(GOALS, json=body | {"title": f"g{i}"}, headers=s.h(s.learner)).json()["goal_id"]
        for i in range(3)
    ]
    client.patch(f"{GOALS}/{ids[1]}", json={"status": "abandoned"}, headers=s.h(s.learner))
    first = client.get(GOALS, params={"limit": 2}, headers=s.h(s.learner)).json()
    second = client.get(
        GOALS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=s.h(s.learner)
    ).json()
    assert [g["goal_id"] for g in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    active = client.get(GOALS, params={"status": "active"}, headers=s.h(s.learner)).json()
    assert [g["title"] for g in active["items"]] == ["g0", "g2"]
