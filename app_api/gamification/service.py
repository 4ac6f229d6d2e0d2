"""Reading a learner's XP, level, streak, badges and ledger; the achievements; admins adding one; the
leaderboards.

Awarding is ``app_api.gamification.awards`` (the event listener); the numbers are in
``app_api.gamification.rules``.

Leaderboards are read from their serving cache (``leaderboard_entries``). The boards are computed by the
dbt mart ``fct_leaderboards`` (all-time, this month, this ISO week; global and per course; ranked by XP,
then the earlier time the XP was reached, then learner id; opted-out learners left out) and copied for the
current periods into ``leaderboard_entries`` by the Dagster asset ``leaderboard_cache``. A request is one
statement: the top ``limit`` rows of the board and the caller's own row, two ranges of the table's primary
and unique keys.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.gamification.exceptions import AchievementSlugTaken
from app_api.gamification.models import Achievement, LearnerStats, UserAchievement, XpTransaction
from app_api.gamification.rules import level_for, xp_for_level
from app_api.gamification.schemas import (
    AchievementCreate,
    AchievementPage,
    AchievementRead,
    BadgePage,
    BadgeRead,
    GamificationRead,
    LeaderboardEntryRead,
    LeaderboardPeriod,
    LeaderboardRead,
    LeaderboardScope,
    XpTransactionPage,
    XpTransactionRead,
)
from skillstudio.errors import NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

# The nil uuid stands for "no course" in the cache's key (the global boards).
GLOBAL = uuid.UUID(int=0)
_BOARD = (
    "select rank, learner_id, display_name, xp, reached_at, period_start, refreshed_at, {mine} as mine "
    "from leaderboard_entries where period = :period and scope = :scope and course_id = :course_id"
)
_READ = text(
    f"({_BOARD.format(mine='false')} order by rank limit :limit) "
    f"union all ({_BOARD.format(mine='true')} and learner_id = :viewer)"
)


def summary(session: Session, *, learner_id: uuid.UUID, now: datetime | None = None) -> GamificationRead:
    """XP, level, the XP bounds of the level, and the streak as of today in the learner's time zone."""
    stats = session.get(LearnerStats, learner_id)
    badges = session.scalar(
        select(func.count()).select_from(UserAchievement).where(UserAchievement.user_id == learner_id)
    )
    xp = stats.xp if stats else 0
    level = level_for(xp)
    time_zone = stats.time_zone if stats else "UTC"
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone)).date()
    last = stats.last_active_date if stats else None
    alive = last is not None and last >= today - timedelta(days=1)
    return GamificationRead(
        learner_id=learner_id,
        xp=xp,
        level=level,
        level_xp=xp_for_level(level),
        next_level_xp=xp_for_level(level + 1),
        current_streak=stats.current_streak if stats and alive else 0,
        longest_streak=stats.longest_streak if stats else 0,
        last_active_date=last,
        time_zone=time_zone,
        badges=badges or 0,
    )


def leaderboard(
    session: Session,
    *,
    viewer: uuid.UUID,
    scope: LeaderboardScope,
    course_id: uuid.UUID | None,
    period: LeaderboardPeriod,
    limit: int,
) -> LeaderboardRead:
    """The top ``limit`` of a board and the viewer's own row, from the serving cache (see ``_READ``)."""
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


def badges(session: Session, *, learner_id: uuid.UUID, cursor: str | None, limit: int) -> BadgePage:
    statement = (
        select(UserAchievement.unlocked_at, Achievement)
        .join(Achievement, Achievement.achievement_id == UserAchievement.achievement_id)
        .where(UserAchievement.user_id == learner_id)
    )
    after = parse_cursor(cursor, tag="badges", kinds=(datetime, uuid.UUID))
    columns = (UserAchievement.unlocked_at, UserAchievement.achievement_id)
    rows = session.execute(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="badges", key_of=lambda row: [row[0], row[1].achievement_id]
    )
    return BadgePage(
        items=[
            BadgeRead(
                achievement_id=a.achievement_id,
                slug=a.slug,
                name=a.name,
                description=a.description,
                rarity=a.rarity,
                requirement_type=a.requirement_type,
                threshold=a.threshold,
                unlocked_at=unlocked_at,
            )  # fmt: skip
            for unlocked_at, a in items
        ],
        next_cursor=next_cursor,
    )


def ledger(session: Session, *, learner_id: uuid.UUID, cursor: str | None, limit: int) -> XpTransactionPage:
    statement = select(XpTransaction).where(XpTransaction.user_id == learner_id)
    after = parse_cursor(cursor, tag="xp", kinds=(datetime, uuid.UUID, str))
    columns = (XpTransaction.occurred_at, XpTransaction.event_id, XpTransaction.rule)
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="xp", key_of=lambda row: [row.occurred_at, row.event_id, row.rule]
    )
    return XpTransactionPage(
        items=[
            XpTransactionRead(
                event_id=row.event_id,
                rule=row.rule,
                xp=row.xp,
                course_id=row.course_id,
                occurred_at=row.occurred_at,
            )  # fmt: skip
            for row in items
        ],
        next_cursor=next_cursor,
    )


def _achievement_read(a: Achievement) -> AchievementRead:
    return AchievementRead(
        achievement_id=a.achievement_id, slug=a.slug, name=a.name, description=a.description,
        rarity=a.rarity, requirement_type=a.requirement_type, threshold=a.threshold,
        created_at=a.created_at,
    )  # fmt: skip


def list_achievements(session: Session, *, cursor: str | None, limit: int) -> AchievementPage:
    after = parse_cursor(cursor, tag="achievements", kinds=(str, int, uuid.UUID))
    columns = (Achievement.requirement_type, Achievement.threshold, Achievement.achievement_id)
    rows = session.scalars(keyset(select(Achievement), columns=columns, after=after, limit=limit)).all()
    items, next_cursor = page_of(
        rows,
        limit=limit,
        tag="achievements",
        key_of=lambda a: [a.requirement_type, a.threshold, a.achievement_id],
    )
    return AchievementPage(items=[_achievement_read(a) for a in items], next_cursor=next_cursor)


def create_achievement(session: Session, *, principal: Principal, data: AchievementCreate) -> AchievementRead:
    """Add an achievement; learners unlock it at their next event that moves its counter."""
    now = datetime.now(UTC)
    achievement_id = session.scalar(
        insert(Achievement)
        .values(achievement_id=uuid.uuid4(), created_at=now, **data.model_dump())
        .on_conflict_do_nothing(index_elements=["slug"])
        .returning(Achievement.achievement_id)
    )
    if achievement_id is None:
        raise AchievementSlugTaken(data.slug)
    record_event(
        session, actor_id=principal.user_id, verb="created", object_type="badge", object_id=achievement_id,
        occurred_at=now, extensions={"slug": data.slug, "rarity": data.rarity,
                                     "requirement_type": data.requirement_type, "threshold": data.threshold},
    )  # fmt: skip
    return _achievement_read(session.get_one(Achievement, achievement_id))
