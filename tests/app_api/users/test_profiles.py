"""Learner profiles: who may read and write them, preferences, self-assessed vs measured levels, events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.courses.models import Skill
from app_api.users.models import LearnerProfile, LearnerSkillLevel, User
from app_api.users.service import SkillLevelWrite, write_skill_levels
from tests.app_api.auth.helpers import events
from tests.factories import auth_headers, make_user


def headers(client: TestClient, user: User) -> dict[str, str]:
    return auth_headers(client.app.state.settings, user)  # type: ignore[attr-defined]


def make_skill(session: Session, slug: str) -> Skill:
    skill = Skill(skill_id=uuid.uuid4(), slug=f"{slug}-{uuid.uuid4().hex[:6]}", name=slug.upper())
    session.add(skill)
    session.flush()
    return skill


# The gamification preferences (issue 15) as a profile without them reads.
GAME_DEFAULTS = {"time_zone": "UTC", "leaderboard_opt_out": False}


def url(user: User) -> str:
    return f"/api/v1/learners/{user.user_id}/profile"


def test_profile_privacy_matrix(client: TestClient, session: Session) -> None:
    learner = make_user(session)
    callers = {
        "self": learner,
        "other learner": make_user(session),
        "instructor": make_user(session, role="instructor"),
        "admin": make_user(session, role="admin"),
    }
    expected = {"self": 200, "other learner": 403, "instructor": 403, "admin": 200}
    for name, caller in callers.items():
        read = client.get(url(learner), headers=headers(client, caller))
        write = client.patch(
            url(learner), json={"preferences": {"weekly_hours": 3}}, headers=headers(client, caller)
        )
        assert (name, read.status_code, write.status_code) == (name, expected[name], expected[name])
        if expected[name] == 403:
            assert read.json()["detail"] == "A learner profile is visible to its learner and to admins only."
    assert client.get(url(learner)).status_code == 401
    # Admins learn that an account does not exist; others cannot probe for accounts.
    nobody = User(user_id=uuid.uuid4(), display_name="x", role="learner")
    assert client.get(url(nobody), headers=headers(client, callers["admin"])).status_code == 404
    assert client.get(url(nobody), headers=headers(client, callers["other learner"])).status_code == 403
    # Only the two allowed writes happened: self, then admin, each with its own event.
    updates = [event for event in events(session, object_id=learner.user_id) if event["verb"] == "updated"]
    assert [event["actor_id"] for event in updates] == [learner.user_id]  # admin's 3 h equalled the learner's


def test_profile_shows_imported_attributes_read_only(client: TestClient, session: Session) -> None:
    learner = make_user(session)
    session.add(LearnerProfile(user_id=learner.user_id, attributes={"gender": "F", "region": "Scotland"}))
    session.flush()
    profile = client.get(url(learner), headers=headers(client, learner)).json()
    assert profile["attributes"] == {"gender": "F", "region": "Scotland"}
    assert profile["preferences"] == {
        "weekly_hours": None,
        "preferred_difficulty": None,
        "display_name": None,
        **GAME_DEFAULTS,
    }
    refused = client.patch(
        url(learner), json={"attributes": {"region": "Wales"}}, headers=headers(client, learner)
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.attributes"
    stored = session.execute(
        text("select attributes from learner_profiles where user_id = :u"), {"u": learner.user_id}
    )
    assert stored.scalar_one() == {"gender": "F", "region": "Scotland"}


def test_preferences_merge_validate_and_write_one_event(client: TestClient, session: Session) -> None:
    learner = make_user(session)
    mine = headers(client, learner)
    first = client.patch(
        url(learner),
        json={"preferences": {"weekly_hours": 7.5, "preferred_difficulty": "advanced"}},
        headers=mine,
    ).json()
    assert first["preferences"] == {
        "weekly_hours": 7.5,
        "preferred_difficulty": "advanced",
        "display_name": None,
        **GAME_DEFAULTS,
    }
    second = client.patch(url(learner), json={"preferences": {"weekly_hours": None}}, headers=mine).json()
    assert second["preferences"] == {
        "weekly_hours": None,
        "preferred_difficulty": "advanced",
        "display_name": None,
        **GAME_DEFAULTS,
    }
    assert datetime.fromisoformat(second["updated_at"]) <= datetime.now(UTC)
    # Sending what is already stored changes nothing.
    client.patch(url(learner), json={"preferences": {"preferred_difficulty": "advanced"}}, headers=mine)

    for bad, field in (
        ({"weekly_hours": 81}, "body.preferences.weekly_hours"),
        ({"weekly_hours": -1}, "body.preferences.weekly_hours"),
        ({"preferred_difficulty": "expert"}, "body.preferences.preferred_difficulty"),
        ({"favourite_colour": "blue"}, "body.preferences.favourite_colour"),
        ({"time_zone": "Mars/Olympus_Mons"}, "body.preferences.time_zone"),
        ({"time_zone": "utc"}, "body.preferences.time_zone"),
    ):
        response = client.patch(url(learner), json={"preferences": bad}, headers=mine)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    edge = client.patch(url(learner), json={"preferences": {"weekly_hours": 80}}, headers=mine)
    assert edge.json()["preferences"]["weekly_hours"] == 80

    updates = [event for event in events(session, object_id=learner.user_id) if event["verb"] == "updated"]
    assert [event["extensions"]["changes"] for event in updates] == [
        {"preferences": {"weekly_hours": 7.5, "preferred_difficulty": "advanced"}},
        {"preferences": {"weekly_hours": None}},
        {"preferences": {"weekly_hours": 80}},
    ]
    assert {(event["object_type"], event["actor_id"]) for event in updates} == {("profile", learner.user_id)}


def test_self_assessed_levels(client: TestClient, session: Session) -> None:
    learner = make_user(session)
    sql, python = make_skill(session, "sql"), make_skill(session, "python")
    body = {
        "skill_levels": [
            {"skill_id": str(sql.skill_id), "level": 4},
            {"skill_id": str(python.skill_id), "level": 7},
        ]
    }
    profile = client.patch(url(learner), json=body, headers=headers(client, learner)).json()
    levels = {
        item["skill_slug"]: (item["level"], item["source"], item["standard_error"])
        for item in profile["skill_levels"]
    }
    assert levels == {sql.slug: (4.0, "self", None), python.slug: (7.0, "self", None)}
    assert [item["skill_slug"] for item in profile["skill_levels"]] == sorted(levels)

    again = client.patch(
        url(learner),
        json={"skill_levels": [{"skill_id": str(sql.skill_id), "level": 5}]},
        headers=headers(client, learner),
    ).json()
    assert {item["skill_slug"]: item["level"] for item in again["skill_levels"]} == {
        sql.slug: 5.0,
        python.slug: 7.0,
    }
    changes = [
        event["extensions"]["changes"]["skill_levels"]
        for event in events(session, object_id=learner.user_id)
        if event["verb"] == "updated"
    ]
    assert changes[-1] == [
        {
            "skill_id": str(sql.skill_id),
            "level": 5,
            "previous_level": 4.0,
            "previous_source": "self",
            "source": "self",
        }
    ]
    assert len(changes) == 2


@pytest.mark.parametrize(
    ("levels", "field", "message"),
    [
        ([{"skill_id": "SKILL", "level": 0}], "body.skill_levels.0.level", "greater than or equal to 1"),
        ([{"skill_id": "SKILL", "level": 11}], "body.skill_levels.0.level", "less than or equal to 10"),
        ([{"skill_id": "SKILL", "level": 3}, {"skill_id": "SKILL", "level": 4}], "body.skill_levels", "once"),
        ([{"skill_id": "UNKNOWN", "level": 3}], "body.skill_levels.0.skill_id", "no skill"),
    ],
)
def test_bad_levels_are_422s(
    client: TestClient, session: Session, levels: list[dict], field: str, message: str
) -> None:
    learner, skill = make_user(session), make_skill(session, "stats")
    body = [
        {**item, "skill_id": str(skill.skill_id if item["skill_id"] == "SKILL" else uuid.uuid4())}
        for item in levels
    ]
    response = client.patch(url(learner), json={"skill_levels": body}, headers=headers(client, learner))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field and message in error["message"]
    assert session.query(LearnerSkillLevel).filter_by(user_id=learner.user_id).count() == 0


def test_a_self_assessment_never_replaces_a_measured_level(client: TestClient, session: Session) -> None:
    learner = make_user(session)
    sql, python = make_skill(session, "sql"), make_skill(session, "python")
    now = datetime.now(UTC)
    write_skill_levels(
        session=session,
        learner_id=learner.user_id,
        levels=[SkillLevelWrite(skill_id=sql.skill_id, level=6.4, standard_error=0.8)],
        source="diagnostic",
        now=now,
    )
    body = {
        "preferences": {"weekly_hours": 5},
        "skill_levels": [
            {"skill_id": str(python.skill_id), "level": 3},
            {"skill_id": str(sql.skill_id), "level": 9},
        ],
    }
    refused = client.patch(url(learner), json=body, headers=headers(client, learner))
    assert refused.status_code == 409
    assert refused.json()["skill_ids"] == [str(sql.skill_id)]
    assert "take the diagnostic again" in refused.json()["detail"]

    profile = client.get(url(learner), headers=headers(client, learner)).json()
    # Nothing of the refused request was applied: no preference, no python level, the diagnostic intact.
    assert profile["preferences"]["weekly_hours"] is None
    assert [
        (item["skill_slug"], item["level"], item["standard_error"], item["source"])
        for item in profile["skill_levels"]
    ] == [(sql.slug, 6.4, 0.8, "diagnostic")]

    # A newer diagnostic replaces a self-assessment, and an admin may correct a measured level.
    write_skill_levels(
        session=session,
        learner_id=learner.user_id,
        levels=[SkillLevelWrite(skill_id=python.skill_id, level=2.0)],
        source="self",
        now=now,
    )
    changes = write_skill_levels(
        session=session,
        learner_id=learner.user_id,
        levels=[SkillLevelWrite(skill_id=python.skill_id, level=3.5, standard_error=1.1)],
        source="diagnostic",
        now=now,
    )
    assert [(change.previous_level, change.previous_source, change.level) for change in changes] == [
        (2.0, "self", 3.5)
    ]
    admin = make_user(session, role="admin")
    corrected = client.patch(
        url(learner),
        json={"skill_levels": [{"skill_id": str(sql.skill_id), "level": 8}]},
        headers=headers(client, admin),
    ).json()
    assert {item["skill_slug"]: (item["level"], item["source"]) for item in corrected["skill_levels"]} == {
        sql.slug: (8.0, "admin"),
        python.slug: (3.5, "diagnostic"),
    }
    [event] = [event for event in events(session, object_id=learner.user_id) if event["verb"] == "updated"]
    assert event["actor_id"] == admin.user_id
    assert event["extensions"]["target_user_id"] == str(learner.user_id)
    assert event["extensions"]["changes"]["skill_levels"][0]["previous_source"] == "diagnostic"


def test_time_zone_and_leaderboard_opt_out_are_preferences(client: TestClient, session: Session) -> None:
    learner = make_user(session)
    mine = headers(client, learner)
    body = {"preferences": {"time_zone": "America/Sao_Paulo", "leaderboard_opt_out": True}}
    changed = client.patch(url(learner), json=body, headers=mine).json()["preferences"]
    assert (changed["time_zone"], changed["leaderboard_opt_out"]) == ("America/Sao_Paulo", True)
    # The gamification totals follow the profile (the award path reads them there, not here).
    zone, opt_out = session.execute(
        text("select time_zone, leaderboard_opt_out from learner_stats where user_id = :u"),
        {"u": learner.user_id},
    ).one()
    assert (zone, opt_out) == ("America/Sao_Paulo", True)
    reset = client.patch(url(learner), json={"preferences": {"time_zone": None}}, headers=mine).json()
    assert reset["preferences"]["time_zone"] == "UTC"
    assert (
        session.scalar(text("select time_zone from learner_stats where user_id = :u"), {"u": learner.user_id})
        == "UTC"
    )


def test_a_zone_the_database_lacks_counts_streaks_in_utc(client: TestClient, session: Session) -> None:
    """Python's zone database may be newer than the server's: such a zone is kept in the profile and the
    award path counts days in UTC, so its ``at time zone`` never fails."""
    import zoneinfo

    known = set(session.scalars(text("select name from pg_timezone_names")))
    missing = sorted(zoneinfo.available_timezones() - known - {"localtime", "posixrules"})
    if not missing:
        pytest.skip("the server knows every zone Python knows")
    learner = make_user(session)
    body = {"preferences": {"time_zone": missing[0]}}
    answer = client.patch(url(learner), json=body, headers=headers(client, learner))
    assert answer.status_code == 200 and answer.json()["preferences"]["time_zone"] == missing[0]
    assert (
        session.scalar(text("select time_zone from learner_stats where user_id = :u"), {"u": learner.user_id})
        == "UTC"
    )
