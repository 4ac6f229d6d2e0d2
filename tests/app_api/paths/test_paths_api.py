"""Generating, reading and versioning a goal's learning path over HTTP, with its events."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.paths.world import PathWorld


def test_path_from_the_profile_levels_with_reasons_timeline_versions_and_events(
    client: TestClient, session: Session
) -> None:
    w = PathWorld(client, session)
    basics = w.course("SQL Basics", "beginner", [w.sql], minutes=60)  # 4 lessons x 60 = 240 minutes
    joins = w.course("SQL Joins", "intermediate", [w.sql], requires=(basics,), minutes=60)
    python = w.course("Python Intro", "beginner", [w.python], minutes=30)
    w.level(w.python, 5)  # above the beginner band: Python Intro is not needed
    goal = w.goal({w.sql: 7, w.python: 4}, hours=4)
    url = f"/api/v1/goals/{goal['goal_id']}/path"
    assert client.get(url, headers=w.h(w.learner)).status_code == 404  # none yet

    created = client.post(url, headers=w.h(w.learner))
    assert created.status_code == 201, created.text
    path = created.json()
    assert [(s["title"], s["kind"], s["minutes"]) for s in path["steps"]] == [
        ("SQL Basics", "course", 240),
        ("SQL Joins", "course", 240),
    ]
    assert path["steps"][0]["reasons"] == ["closes your gap in SQL: level 1 → 4", "prerequisite of SQL Joins"]
    assert path["steps"][1]["reasons"] == ["closes your gap in SQL: level 4 → 7"]
    # 4 h/week = 240 minutes: one step a week
    assert [(week["week"], week["minutes"], week["steps"]) for week in path["timeline"]] == [
        (1, 240, [1]),
        (2, 240, [2]),
    ]
    assert (path["version"], path["trigger"], path["feasible"], path["total_minutes"]) == (
        1, "generated", True, 480,
    )  # fmt: skip
    assert str(python.course_id) not in {s["course_id"] for s in path["steps"]}

    # The learner's SQL level rises (the mastery model writes the profile): a new version drops SQL Basics
    # and takes only the modules of SQL Joins above level 5.5.
    w.level(w.sql, 5.5)
    second = client.post(url, headers=w.h(w.learner)).json()
    assert second["version"] == 2
    assert [(s["title"], s["kind"], len(s["module_ids"])) for s in second["steps"]] == [
        ("SQL Joins", "modules", 1)
    ]
    assert client.get(url, headers=w.h(w.learner)).json()["snapshot_id"] == second["snapshot_id"]
    history = client.get(f"{url}/history", headers=w.h(w.admin)).json()
    assert [(item["version"], item["steps"]) for item in history["items"]] == [(2, 1), (1, 2)]
    assert str(joins.course_id) == second["steps"][0]["course_id"]

    events = session.execute(
        text(
            "select verb, actor_id, extensions->>'version' from learner_events "
            "where object_type = 'learning_path' and extensions->>'goal_id' = :g order by 3"
        ),
        {"g": goal["goal_id"]},
    ).all()
    assert [(verb, actor, version) for verb, actor, version in events] == [
        ("created", w.learner.user_id, "1"),
        ("created", w.learner.user_id, "2"),
    ]


def test_unmeetable_deadline_says_the_earliest_date_and_others_cannot_see(
    client: TestClient, session: Session
) -> None:
    w = PathWorld(client, session)
    w.course("SQL Marathon", "beginner", [w.sql], modules=4, lessons_per_module=5, minutes=120)  # 40 hours
    goal = w.goal({w.sql: 4}, days=14, hours=2)
    url = f"/api/v1/goals/{goal['goal_id']}/path"
    path = client.post(url, headers=w.h(w.learner)).json()
    assert path["feasible"] is False
    assert path["message"].startswith(
        f"Cannot meet the deadline {goal['deadline']} at 2 h/week: the earliest date is "
    )
    assert path["estimated_finish"] in path["message"]
    assert len(path["timeline"]) == 20  # 2400 minutes at 120 a week
    for method in ("GET", "POST"):
        assert client.request(method, url, headers=w.h(w.other)).status_code == 403
    assert client.get(f"{url}/history", headers=w.h(w.other)).status_code == 403
