"""The learner's page: courses and progress, skill levels against goals, activity, recommendations and
notifications. The learner themselves and admins may open it (the API's rule for a learner's data)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app_api.analytics import service as analytics
from app_api.goals import service as goals
from app_api.notifications import service as notifications
from app_api.pages.charts import Chart, bar_chart, line_chart
from app_api.pages.dependencies import MartsDep, SourcesDep, Viewer
from app_api.pages.rendering import render
from app_api.progress import service as progress
from app_api.users import service as users
from skillstudio.errors import Forbidden, Unavailable
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.principals import Principal

router = APIRouter(prefix="/app", include_in_schema=False)

LearnerId = Annotated[uuid.UUID, Path(description="The learner's user id.")]
NOT_YET = "Not available yet: this part of SkillStudio has not landed."


def _skills(
    session: Session, viewer: Principal, learner_id: uuid.UUID
) -> tuple[list[dict[str, Any]], Chart | None]:
    profile = users.get_profile(session=session, learner_id=learner_id)
    targets: dict[uuid.UUID, float] = {}
    active = goals.list_goals(
        session, principal=viewer, user_id=learner_id, status=None, cursor=None, limit=50
    )
    for goal in active.items:
        if goal.status == "active":
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
    skills, skill_chart = _skills(session, viewer, learner_id)
    items, _ = notifications.list_notifications(session, learner_id, unread_only=False, cursor=None, limit=10)
    recommended = (
        sources.recommendations(request, session, learner_id) if sources.recommendations is not None else None
    )
    context = {
        "learner": learner,
        "progress": courses,
        "skills": skills,
        "skill_chart": skill_chart,
        "activity": _activity(session, marts, viewer, learner_id),
        "notifications": items,
        "unread": notifications.unread_count(session, learner_id),
        "recommendations": recommended,
        "not_yet": NOT_YET,
    }
    return render(request, "learner.html", context)
