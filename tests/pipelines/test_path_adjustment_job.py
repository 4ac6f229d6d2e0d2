"""The weekly path-adjustment job: pipelines run the callable the composition root wires in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app_api.courses.models import Course, CourseSkill, Lesson, Skill
from app_api.goals import service as goals
from app_api.goals.schemas import GoalCreate, GoalSkillTarget
from app_api.paths import service as paths
from pipelines.definitions import build_definitions
from skillstudio.main.definitions import build_wired_definitions
from skillstudio.settings import Settings
from skillstudio.web.principals import Principal
from tests.factories import make_user


def test_the_job_runs_the_given_adjuster_and_fails_clearly_without_one(
    shared_database: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, database_url=shared_database)
    calls = []

    def adjuster() -> dict[str, int]:
        calls.append(1)
        return {"paths_reviewed": 3, "paths_adjusted": 2}

    result = build_definitions(settings, learning_path_adjuster=adjuster).resolve_job_def(
        "adjust_learning_paths"
    ).execute_in_process()  # fmt: skip
    assert result.success and calls == [1]
    assert result.output_for_node("adjust_learning_paths") == {"paths_reviewed": 3, "paths_adjusted": 2}
    unwired = build_definitions(settings).resolve_job_def("adjust_learning_paths")
    with pytest.raises(Exception, match="skillstudio.main.definitions"):
        unwired.execute_in_process()


def test_the_wired_job_adjusts_a_stored_path(fresh_database: str, tmp_path: Path) -> None:
    engine = create_engine(fresh_database)
    try:
        with Session(engine) as session:
            learner = make_user(session)
            skill = Skill(skill_id=uuid.uuid4(), slug="sql-job", name="SQL")
            course = Course(course_id=uuid.uuid4(), title="SQL Basics", subject="data", level="beginner")
            session.add_all([skill, course])
            session.flush()
            session.add(CourseSkill(course_id=course.course_id, skill_id=skill.skill_id))
            session.add(Lesson(course_id=course.course_id, position=1, title="L1", estimated_minutes=240))
            principal = Principal(user_id=learner.user_id, role="learner")
            goal = goals.create_goal(session, principal=principal, data=GoalCreate(
                deadline=datetime.now(UTC).date() + timedelta(days=60), hours_per_week=4,
                skills=[GoalSkillTarget(skill_id=skill.skill_id, target_level=4)],
            ))  # fmt: skip
            paths.generate_path(session, principal=principal, goal_id=goal.goal_id)
            session.execute(
                text("update learning_path_snapshots set created_at = created_at - interval '7 days'")
            )
            session.commit()
        settings = Settings(home=tmp_path, database_url=fresh_database)
        result = (
            build_wired_definitions(settings).resolve_job_def("adjust_learning_paths").execute_in_process()
        )
        assert result.output_for_node("adjust_learning_paths") == {
            "paths_reviewed": 1, "paths_adjusted": 1, "ahead": 0, "on_track": 0, "behind": 1, "declining": 0,
        }  # fmt: skip
        with Session(engine) as session:
            versions = session.execute(
                text("select version, trigger, changes from learning_path_snapshots order by version")
            ).all()
            kinds = session.scalars(text("select kind from notifications")).all()
        assert [(v, t) for v, t, _ in versions] == [(1, "generated"), (2, "weekly_adjustment")]
        # Creating the goal and its path today were the learner's own events: active, so no "no activity".
        assert versions[1][2][0].startswith("You are behind: none of the 240 minutes planned since ")
        assert versions[1][2][0].endswith(" done yet; the timeline keeps your 4 h/week from today.")
        assert kinds == ["path_adjusted"]
    finally:
        engine.dispose()
