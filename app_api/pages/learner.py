"""The learner's page: XP, level, streak, badges, this week's leaderboard and certificates; courses and
progress with completion risk, skill levels against goals, the goal's learning path week by week, next
steps, activity, recommendations and notifications. The learner themselves and admins may open it (the
API's rule for a learner's data)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app_api.analytics import service as analytics
from app_api.certificates import service as certificates
from app_api.courses import service as catalogue
from app_api.gamification import service as gamification
from app_api.goals import service as goals
from app_api.goals.schemas import GoalRead
from app_api.notifications import service as notifications
from app_api.pages.charts import Chart, bar_chart, line_chart
from app_api.pages.dependencies import MartsDep, SourcesDep, Viewer
from app_api.pages.rendering import render
from app_api.paths import next_step as next_steps
from app_api.paths import service as paths
from app_api.paths.schemas import NextStepRead, PathRead
from app_api.progress import service as progress
from app_api.progress.schemas import CourseProgressRead
from app_api.risk import service as risk
from app_api.users import service as users
from skillstudio.errors import Forbidden, Unavailable
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.principals import Principal

router = APIRouter(prefix="/app", include_in_schema=False)

LearnerId = Annotated[uuid.UUID, Path(description="The learner's user id.")]
# Next steps are computed per enrollment (the API's GET /enrollments/{id}/next); a page shows the first few.
NEXT_STEPS = 5
PATHS = 3
NO_REASON = "Recommended by the model for you; it gave no reason for this one."
PROGRESS = {"ahead": "Ahead of plan", "on_track": "On track", "behind": "Behind plan"}
BADGES = 12
LEADERS = 5
CERTIFICATES = 20


def _engagement(
    request: Request, session: Session, viewer: Principal, learner_id: uuid.UUID
) -> dict[str, Any]:
    """XP, level, streak, the newest badges, this week's global board around the learner, certificates."""
    return {
        "game": gamification.summary(session, learner_id=learner_id),
        "badges": gamification.badges(session, learner_id=learner_id, cursor=None, limit=BADGES).items,
        "board": gamification.leaderboard(
            session, viewer=learner_id, scope="global", course_id=None, period="week", limit=LEADERS
        ),
        "certificates": certificates.list_certificates(
            session, principal=viewer, user_id=learner_id, cursor=None, limit=CERTIFICATES,
            public_url=str(request.app.state.settings.public_url),
        ).items,
    }  # fmt: skip


def _active_goals(session: Session, viewer: Principal, learner_id: uuid.UUID) -> list[GoalRead]:
    page = goals.list_goals(session, principal=viewer, user_id=learner_id, status=None, cursor=None, limit=50)
    return [goal for goal in page.items if goal.status == "active"]


def _skills(
    session: Session, learner_id: uuid.UUID, active: list[GoalRead]
) -> tuple[list[dict[str, Any]], Chart | None]:
    profile = users.get_profile(session=session, learner_id=learner_id)
    targets: dict[uuid.UUID, float] = {}
    for goal in active:
        for target in goal.skills:
            targets[target.skill_id] = max(targets.get(target.skill_id, 0.0), target.target_level)
    rows = [
        {
            "skill": level.skill_name,
            "level": round(level.level, 1),
            "target": targets.get(level.skill_id),
            "source": level.source,
        }
        for level in profile.skill_levels
    ]
    # A goal's skill with no level yet is shown all the same: its target is what the learner aims for.
    unmeasured = set(targets) - {level.skill_id for level in profile.skill_levels}
    if unmeasured:
        rows += [
            {"skill": skill.name, "level": None, "target": targets[skill.skill_id], "source": None}
            for skill in catalogue.skills_by_id(session, skill_ids=unmeasured).values()
        ]
    if not rows:
        return rows, None
    series = [("level", "Level")] + ([("target", "Goal target")] if targets else [])
    chart = bar_chart(
        title="Skill levels (1–10)",
        rows=rows,
        category="skill",
        category_title="Skill",
        series=series,
        value_title="Level",
    )
    return rows, chart


def _learning_paths(session: Session, active: list[GoalRead]) -> list[dict[str, Any]]:
    """The latest path version of each active goal (newest goals first), laid out week by week."""
    shown: list[dict[str, Any]] = []
    for goal in sorted(active, key=lambda g: g.created_at, reverse=True)[:PATHS]:
        snapshot = paths.latest_snapshot(session, goal.goal_id)
        if snapshot is None:
            shown.append({"goal": goal, "path": None})
            continue
        path: PathRead = paths.path_read(snapshot)
        by_position = {step.position: step for step in path.steps}
        weeks = [
            {"week": week, "steps": [by_position[p] for p in week.steps if p in by_position]}
            for week in path.timeline
        ]
        status = PROGRESS[path.review.progress] if path.review is not None else None
        chart = (
            bar_chart(
                title=f"Planned study per week: {goal.title or 'your goal'}",
                rows=[
                    {"week": f"Week {w.week} ({w.starts_on:%d %b})", "minutes": w.minutes}
                    for w in path.timeline
                ],
                category="week",
                category_title="Week",
                series=[("minutes", "Planned minutes")],
                value_title="Minutes",
            )
            if path.timeline
            else None
        )
        shown.append({"goal": goal, "path": path, "weeks": weeks, "status": status, "chart": chart})
    return shown


def _next_steps(
    session: Session, viewer: Principal, courses: list[CourseProgressRead]
) -> list[tuple[CourseProgressRead, NextStepRead]]:
    active = [course for course in courses if course.status == "active"][:NEXT_STEPS]
    steps = next_steps.next_steps(
        session, principal=viewer, enrollment_ids=[course.enrollment_id for course in active]
    )
    return list(zip(active, steps, strict=True))


def _activity(session: Session, marts: Any, viewer: Principal, learner_id: uuid.UUID) -> Chart | str:
    try:
        study = analytics.learner(
            session=session,
            marts=marts,
            viewer=viewer,
            learner_id=learner_id,
            start=None,
            end=None,
            granularity=analytics.Granularity.day,
        )
    except Unavailable as error:
        return error.detail
    rows = [{**period.model_dump(), "start": period.start.isoformat()} for period in study.periods]
    return line_chart(
        title="Study in the last 30 days",
        rows=rows,
        x="start",
        x_title="Day",
        series=[("minutes", "Minutes"), ("lessons_completed", "Lessons completed")],
        y_title="Minutes / lessons",
    )


@router.get("/learner")
def my_page(viewer: Viewer) -> Response:
    return RedirectResponse(f"/app/learners/{viewer.user_id}", status_code=303)


@router.get("/learners/{learner_id}")
def learner_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    marts: MartsDep,
    sources: SourcesDep,
    learner_id: LearnerId,
) -> Response:
    # Checked before any lookup, so the answer never tells a stranger whether the account exists.
    if not viewer.can_act_for(learner_id):
        raise Forbidden("A learner's page is for them and admins only.")
    learner = users.get_user(session=session, user_id=learner_id)
    courses = progress.learner_progress(
        session=session, viewer=viewer, user_id=learner_id, cursor=None, limit=50
    )
    active = _active_goals(session, viewer, learner_id)
    skills, skill_chart = _skills(session, learner_id, active)
    risks = {
        score.enrollment_id: score
        for score in risk.learner_risks(session=session, viewer=viewer, user_id=learner_id)
    }
    items, _ = notifications.list_notifications(session, learner_id, unread_only=False, cursor=None, limit=10)
    recommended = (
        sources.recommendations(request, session, learner_id) if sources.recommendations is not None else None
    )
    context = {
        "learner": learner,
        **_engagement(request, session, viewer, learner_id),
        "progress": courses,
        "skills": skills,
        "skill_chart": skill_chart,
        "targets": any(row["target"] is not None for row in skills),
        "paths": _learning_paths(session, active),
        "next_steps": _next_steps(session, viewer, courses.courses),
        "risks": risks,
        "no_reason": NO_REASON,
        "activity": _activity(session, marts, viewer, learner_id),
        "notifications": items,
        "unread": notifications.unread_count(session, learner_id),
        "recommendations": recommended,
    }
    return render(request, "learner.html", context)
