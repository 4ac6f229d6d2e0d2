"""The weekly adjustment with scripted learners: ahead, behind and declining get the documented changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.paths.adjustment import adjust_all, adjust_path
from skillstudio.events.recording import record_event
from tests.app_api.paths.test_next_step import complete, enroll
from tests.app_api.paths.world import PathWorld


class Scripted:
    """Two 240-minute SQL courses (Basics, then Joins), a goal of SQL 7 at 4 h/week, its path generated a
    week ago: by now the path planned 240 minutes."""

    def __init__(
        self, client: TestClient, session: Session, *, deadline_days: int = 84, basics_modules: int = 2
    ) -> None:
        self.w = w = PathWorld(client, session)
        self.basics = w.course("SQL Basics", "beginner", [w.sql], modules=basics_modules)
        self.joins = w.course("SQL Joins", "intermediate", [w.sql], requires=(self.basics,))
        self.goal = w.goal({w.sql: 7}, days=deadline_days, hours=4)
        self.goal_id = uuid.UUID(self.goal["goal_id"])
        path = client.post(f"/api/v1/goals/{self.goal_id}/path", headers=w.h(w.learner)).json()
        assert [s["title"] for s in path["steps"]] == ["SQL Basics", "SQL Joins"]
        session.execute(
            text(
                "update learning_path_snapshots set created_at = created_at - interval '7 days', "
                "estimated_finish = estimated_finish - 7 where goal_id = :g"
            ),
            {"g": self.goal_id},
        )
        session.expire_all()

    def learn(self, course: Any, lessons: int) -> None:
        enrollment_id = enroll(self.w, course)
        for lesson in self.w.lessons(course)[:lessons]:
            complete(self.w, enrollment_id, lesson.lesson_id)

    def answer(self, days_ago: int, correct: int, wrong: int) -> None:
        for index in range(correct + wrong):
            record_event(
                self.w.session, actor_id=self.w.learner.user_id, verb="answered", object_type="question",
                object_id=uuid.uuid4(),
                occurred_at=datetime.now(UTC) - timedelta(days=days_ago, minutes=index),
                success=index < correct,
            )  # fmt: skip

    def path(self) -> dict[str, Any]:
        response = self.w.client.get(f"/api/v1/goals/{self.goal_id}/path", headers=self.w.h(self.w.learner))
        return dict(response.json())

    def notifications(self) -> list[tuple[str, str]]:
        rows = self.w.session.execute(
            # The path's own messages: the learning the scripts do also earns XP, levels and badges.
            text(
                "select kind, body from notifications where user_id = :u and kind like 'path%' "
                "order by created_at"
            ),
            {"u": self.w.learner.user_id},
        )
        return [(kind, body) for kind, body in rows]


def test_ahead_drops_the_completed_course_and_follows_the_faster_pace(
    client: TestClient, session: Session
) -> None:
    s = Scripted(client, session)
    s.learn(s.basics, 4)
    s.learn(s.joins, 2)  # 360 of 240 planned minutes
    result = adjust_path(session, goal_id=s.goal_id)
    assert result is not None and result.version == 2
    assert (result.review["progress"], result.review["done_minutes"], result.review["planned_minutes"]) == (
        "ahead", 360, 240,
    )  # fmt: skip
    week_ago = (datetime.now(UTC) - timedelta(days=7)).date()
    assert result.changes[:2] == [
        f"You are ahead: 360 of the 240 minutes planned since {week_ago} "
        "done; the timeline now follows your pace of 6 h/week instead of 4.",
        "Removed SQL Basics: you completed it.",
    ]
    path = s.path()
    assert (path["version"], path["trigger"], path["hours_per_week"]) == (2, "weekly_adjustment", 6.0)
    assert [(step["title"], step["minutes"]) for step in path["steps"]] == [("SQL Joins", 120)]
    assert path["review"]["progress"] == "ahead"
    assert [kind for kind, _ in s.notifications()] == ["path_adjusted"]
    verbs = session.execute(
        text("select verb from learner_events where object_type = 'learning_path'"
             " and extensions->>'goal_id' = :g order by occurred_at"), {"g": str(s.goal_id)},
    ).scalars().all()  # fmt: skip
    assert verbs == ["created", "updated"]
    assert adjust_path(session, goal_id=s.goal_id) is None  # adjusted just now: left for a week


def test_behind_moves_the_finish_past_the_deadline_and_says_so(client: TestClient, session: Session) -> None:
    s = Scripted(client, session, deadline_days=28)
    s.learn(s.basics, 1)  # 60 of 240 planned minutes: 1 h/week
    result = adjust_path(session, goal_id=s.goal_id)
    assert result is not None and result.review["progress"] == "behind"
    path = s.path()
    assert path["hours_per_week"] == 1.0
    assert path["total_minutes"] == 420  # 480 less the lesson done
    assert path["feasible"] is False
    assert "Cannot meet the deadline" in path["message"] and "the earliest date is" in path["message"]
    assert any(change.startswith("Estimated finish moves from") for change in result.changes)
    assert path["steps"][0]["reasons"][-1] == "60 minutes of it already done"
    assert s.notifications()[0][0] == "path_adjusted"


def test_declining_answers_put_revision_of_the_last_module_learnt_first(
    client: TestClient, session: Session
) -> None:
    s = Scripted(client, session)
    s.learn(s.basics, 4)  # 240 of 240: on track
    s.answer(days_ago=20, correct=8, wrong=2)
    s.answer(days_ago=3, correct=4, wrong=6)
    result = adjust_path(session, goal_id=s.goal_id)
    assert result is not None
    assert (result.review["progress"], result.review["trend"]) == ("on_track", "declining")
    assert (result.review["earlier_correct_rate"], result.review["recent_correct_rate"]) == (0.8, 0.4)
    path = s.path()
    revision, joins = path["steps"]
    assert (revision["kind"], revision["title"], revision["minutes"]) == ("revision", "SQL Basics", 120)
    assert revision["module_ids"] == [str(s.w.lessons(s.basics)[3].module_id)]
    assert revision["reasons"] == [
        "revision of SQL Basics, module M2: your answers were 40% correct over the last two weeks, "
        "down from 80%"
    ]
    assert joins["title"] == "SQL Joins"
    assert "Removed SQL Basics: you completed it." in result.changes


def test_on_track_and_stable_stores_nothing(client: TestClient, session: Session) -> None:
    s = Scripted(client, session, basics_modules=3)  # 360 + 240 minutes
    s.learn(s.basics, 4)  # 240 of 240 planned, Basics not complete yet
    s.answer(days_ago=20, correct=7, wrong=3)
    s.answer(days_ago=3, correct=7, wrong=3)
    results = {r.goal_id: r for r in adjust_all(session)}
    assert results[s.goal_id].version is None
    assert results[s.goal_id].review["trend"] == "stable"
    assert s.path()["version"] == 1
    assert s.notifications() == []
