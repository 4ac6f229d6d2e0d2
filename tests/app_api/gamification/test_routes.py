"""Issue 15 points 1-3 over HTTP: a learner's reads, the achievements (admins add them), leaderboards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.gamification.rules import RARITIES, REQUIREMENT_TYPES, SEEDED
from tests.app_api.gamification.helpers import act
from tests.factories import auth_headers, make_user

API = "/api/v1"
DAY = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def _headers(client: TestClient, session: Session, role: str = "learner") -> tuple[uuid.UUID, dict[str, str]]:
    user = make_user(session, role=role)
    return user.user_id, auth_headers(client.app.state.settings, user)  # type: ignore[attr-defined]


def test_me_shows_xp_level_next_level_and_streak(client: TestClient, session: Session) -> None:
    learner, headers = _headers(client, session)
    empty = client.get(f"{API}/gamification/me", headers=headers).json()
    assert (empty["xp"], empty["level"], empty["next_level_xp"], empty["current_streak"]) == (0, 0, 100, 0)
    act(session, learner, "completed", "lesson", DAY)
    act(session, learner, "completed", "lesson", DAY + timedelta(days=1))
    body = client.get(f"{API}/gamification/me", headers=headers).json()
    assert body["xp"] == 10 + 50 + 50 + 20
    assert (body["level"], body["level_xp"], body["next_level_xp"]) == (1, 100, 400)
    assert (body["current_streak"], body["longest_streak"], body["badges"]) == (2, 2, 1)


def test_badges_and_the_ledger_are_the_callers_own_in_pages(client: TestClient, session: Session) -> None:
    learner, headers = _headers(client, session)
    _, other = _headers(client, session)
    first = act(session, learner, "completed", "lesson", DAY)
    act(session, learner, "passed", "assessment", DAY + timedelta(minutes=1), score_scaled=1.0)
    page = client.get(f"{API}/gamification/me/xp", headers=headers, params={"limit": 2}).json()
    assert [item["rule"] for item in page["items"]] == ["quiz_passed", "perfect_quiz"]  # newest first
    rest = client.get(
        f"{API}/gamification/me/xp", headers=headers, params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [(item["rule"], item["event_id"]) for item in rest["items"]] == [
        ("lesson_completed", str(first)), ("first_lesson", str(first)),
    ]  # fmt: skip
    assert rest["next_cursor"] is None
    badges = client.get(f"{API}/gamification/me/badges", headers=headers).json()["items"]
    assert {badge["slug"] for badge in badges} == {"first-steps", "quiz-taker", "sharpshooter"}
    assert client.get(f"{API}/gamification/me/badges", headers=other).json()["items"] == []
    wrong = client.get(
        f"{API}/gamification/me/badges", headers=headers, params={"cursor": page["next_cursor"]}
    )
    assert wrong.status_code == 400


def test_the_seeded_achievements_are_the_documented_ones(client: TestClient, session: Session) -> None:
    _, headers = _headers(client, session)
    items = client.get(f"{API}/gamification/achievements", headers=headers, params={"limit": 100}).json()[
        "items"
    ]
    seeded = {item["slug"]: item for item in items if item["slug"] in {a.slug for a in SEEDED}}
    assert len(seeded) == len(SEEDED) >= 12
    for achievement in SEEDED:
        item = seeded[achievement.slug]
        assert (item["name"], item["rarity"], item["requirement_type"], item["threshold"]) == (
            achievement.name, achievement.rarity, achievement.requirement_type, achievement.threshold,
        )  # fmt: skip
    assert {a.rarity for a in SEEDED} == set(RARITIES)
    assert {a.requirement_type for a in SEEDED} == set(REQUIREMENT_TYPES) and len(REQUIREMENT_TYPES) >= 6


def test_an_admin_adds_an_achievement_that_learners_then_unlock(client: TestClient, session: Session) -> None:
    admin, admin_headers = _headers(client, session, "admin")
    learner, headers = _headers(client, session)
    body = {"slug": "two-lessons", "name": "Two lessons", "description": "Complete 2 lessons.",
            "rarity": "common", "requirement_type": "lessons_completed", "threshold": 2}  # fmt: skip
    assert client.post(f"{API}/gamification/achievements", headers=headers, json=body).status_code == 403
    created = client.post(f"{API}/gamification/achievements", headers=admin_headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["slug"] == "two-lessons"
    again = client.post(f"{API}/gamification/achievements", headers=admin_headers, json=body)
    assert again.status_code == 409
    for bad in ({"requirement_type": "logins"}, {"threshold": 0}, {"rarity": "mythic"}, {"slug": "Bad Slug"}):
        refused = client.post(f"{API}/gamification/achievements", headers=admin_headers, json=body | bad)
        assert refused.status_code == 422, bad
    act(session, learner, "completed", "lesson", DAY)
    act(session, learner, "completed", "lesson", DAY + timedelta(minutes=1))
    slugs = {b["slug"] for b in client.get(f"{API}/gamification/me/badges", headers=headers).json()["items"]}
    assert slugs == {"first-steps", "two-lessons"}
    created_events = session.scalar(
        text(
            "select count(*) from learner_events "
            "where actor_id = :a and verb = 'created' and object_type = 'badge'"
        ),
        {"a": admin},
    )
    assert created_events == 1


def _cache(session: Session, rows: list[tuple[str, str, uuid.UUID, int, uuid.UUID, int]]) -> None:
    now = datetime.now(UTC)
    for period, scope, course_id, rank, learner, xp in rows:
        session.execute(
            text(
                "insert into leaderboard_entries (period, scope, course_id, rank, learner_id, display_name, "
                "xp, reached_at, period_start, refreshed_at) "
                "values (:p, :s, :c, :r, :l, 'Learner', :xp, :now, null, :now)"
            ),
            {"p": period, "s": scope, "c": course_id, "r": rank, "l": learner, "xp": xp, "now": now},
        )


def test_a_leaderboard_answers_its_top_and_the_callers_own_rank(client: TestClient, session: Session) -> None:
    session.execute(text("delete from leaderboard_entries"))
    viewer, headers = _headers(client, session)
    others = [make_user(session).user_id for _ in range(5)]
    course = uuid.uuid4()
    _cache(session, [("all_time", "global", uuid.UUID(int=0), rank, learner, 1000 - rank)
                     for rank, learner in enumerate([*others, viewer], start=1)])  # fmt: skip
    _cache(session, [("week", "course", course, 1, others[0], 50)])
    board = client.get(f"{API}/leaderboards", headers=headers, params={"limit": 3}).json()
    assert [entry["learner_id"] for entry in board["entries"]] == [str(learner) for learner in others[:3]]
    assert [entry["rank"] for entry in board["entries"]] == [1, 2, 3]
    assert board["me"]["rank"] == 6 and board["me"]["learner_id"] == str(viewer)
    week = client.get(
        f"{API}/leaderboards",
        headers=headers,
        params={"scope": "course", "course_id": str(course), "period": "week"},
    ).json()
    assert [entry["xp"] for entry in week["entries"]] == [50] and week["me"] is None
    assert client.get(f"{API}/leaderboards", headers=headers, params={"scope": "course"}).status_code == 404
    assert client.get(f"{API}/leaderboards", headers=headers, params={"period": "year"}).status_code == 422
    assert client.get(f"{API}/leaderboards").status_code == 401


def test_statements_a_learner_posts_earn_no_xp(client: TestClient, session: Session) -> None:
    """POST /events takes a learner's own statements for analytics, but anyone could claim a completion
    there: XP comes only from the changes the learning API records itself (rules.py)."""
    learner, headers = _headers(client, session)
    claimed = {
        "actor": {"id": str(learner)},
        "verb": "completed",
        "object": {"id": str(uuid.uuid4()), "type": "lesson"},
        "timestamp": DAY.isoformat(),
    }
    response = client.post(f"{API}/events", headers=headers, json=[claimed, {**claimed, "verb": "passed",
                           "object": {"id": str(uuid.uuid4()), "type": "assessment"}}])  # fmt: skip
    assert response.status_code < 300, response.text
    assert response.json()["accepted"] == 2, response.text
    body = client.get(f"{API}/gamification/me", headers=headers).json()
    assert (body["xp"], body["current_streak"], body["badges"]) == (0, 0, 0)
    assert session.execute(text("select count(*) from xp_transactions where user_id = :u"),
                           {"u": learner}).scalar_one() == 0  # fmt: skip
