"""Reading a leaderboard from its serving cache (``leaderboard_entries``).

The boards are computed by the dbt mart ``fct_leaderboards`` (all-time, this month, this ISO week; global
and per course; ranked by XP, then the earlier time the XP was reached, then learner id; opted-out learners
left out) and copied for the current periods into ``leaderboard_entries`` by the Dagster asset
``leaderboard_cache``. A request is one statement: the top ``limit`` rows of the board and the caller's own
row, two ranges of the table's primary and unique keys.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.gamification.schemas import (
    LeaderboardEntryRead,
    LeaderboardPeriod,
    LeaderboardRead,
    LeaderboardScope,
)
from skillstudio.errors import NotFound

GLOBAL = uuid.UUID(int=0)
_BOARD = (
    "select rank, learner_id, display_name, xp, reached_at, period_start, refreshed_at, {mine} as mine "
    "from leaderboard_entries where period = :period and scope = :scope and course_id = :course_id"
)
_READ = text(
    f"({_BOARD.format(mine='false')} order by rank limit :limit) "
    f"union all ({_BOARD.format(mine='true')} and learner_id = :viewer)"
)


def read_board(
    session: Session,
    *,
    viewer: uuid.UUID,
    scope: LeaderboardScope,
    course_id: uuid.UUID | None,
    period: LeaderboardPeriod,
    limit: int,
) -> LeaderboardRead:
    # Each combination the query's schema allows is a board's name: those naming no board are a 404.
    if scope == "course" and course_id is None:
        raise NotFound("There is no course leaderboard without a course: pass course_id.")
    if scope == "global" and course_id is not None:
        raise NotFound("The global leaderboard has no course: leave course_id out, or pass scope=course.")
    rows = session.execute(
        _READ,
        {
            "period": period,
            "scope": scope,
            "course_id": course_id or GLOBAL,
            "viewer": viewer,
            "limit": limit,
        },
    ).all()
    entries = [
        LeaderboardEntryRead(
            rank=row.rank,
            learner_id=row.learner_id,
            display_name=row.display_name,
            xp=row.xp,
            reached_at=row.reached_at,
        )  # fmt: skip
        for row in rows
    ]
    mine = [entry for entry, row in zip(entries, rows, strict=True) if row.mine]
    return LeaderboardRead(
        scope=scope,
        course_id=course_id,
        period=period,
        period_start=rows[0].period_start if rows else None,
        refreshed_at=rows[0].refreshed_at if rows else None,
        entries=[entry for entry, row in zip(entries, rows, strict=True) if not row.mine],
        me=mine[0] if mine else None,
    )
