"""The award path: XP, streaks, levels and badges from learner events (the domain's event listener).

``on_event`` runs in the transaction of the change that wrote the event, once per newly stored event
(``skillstudio.events.recording``). It must stay cheap: it sits on the lesson-progress route. A learning
event costs one statement (the streak, on the learner's totals row, locking it); an event that earns XP
one more (every rule's ledger row inserted ``on conflict do nothing`` and the totals updated from what was
inserted, in one statement); and only when a counter moved, one statement evaluating the badges of the
moved counters. Level-ups and unlocks, rare by nature, add their events and notifications.

The ledger's key (event_id, rule) makes XP exactly-once by construction; the counters the badges read
(lessons completed, quizzes passed...) are incremented from the rows the ledger actually inserted, so they
cannot drift from it either.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.gamification.rules import (
    LEARNING_OBJECTS,
    LEARNING_VERBS,
    XP_RULES,
    RequirementType,
    RuleName,
    level_for,
)
from app_api.notifications import service as notifications
from app_api.users import service as users
from skillstudio.db import driver_connection
from skillstudio.events.contract import EventRow
from skillstudio.events.recording import record_event

# The local day of the event in the learner's zone (the totals row keeps it; new rows start in UTC).
_LOCAL_DAY = "(cast(%(at)s as timestamptz) at time zone s.time_zone)::date"
_NEXT_STREAK = (
    f"case when s.last_active_date is null or {_LOCAL_DAY} > s.last_active_date + 1 then 1 "
    f"when {_LOCAL_DAY} = s.last_active_date + 1 then s.current_streak + 1 "
    "else s.current_streak end"
)
# Only the first event of a later local day changes the row (the ``where``): the many events of a day
# write nothing here, and an empty answer means "no new day". ``previous_active_date`` keeps the last
# active day as it was before, so a continued streak is told from the returned row, under its lock.
_STREAK_SQL = (
    "insert into learner_stats as s (user_id, current_streak, longest_streak, last_active_date, updated_at) "
    "select %(user_id)s, 1, 1, (cast(%(at)s as timestamptz) at time zone 'UTC')::date, %(now)s "
    # Events may name actors without an account (imported history): they earn nothing.
    "where exists (select from users where user_id = %(user_id)s) "
    "on conflict (user_id) do update set"
    f" current_streak = {_NEXT_STREAK},"
    f" longest_streak = greatest(s.longest_streak, {_NEXT_STREAK}),"
    f" last_active_date = {_LOCAL_DAY},"
    " previous_active_date = s.last_active_date,"
    " updated_at = %(now)s "
    f"where s.last_active_date is null or {_LOCAL_DAY} > s.last_active_date "
    "returning current_streak, longest_streak, last_active_date, previous_active_date"
)

# Counters moved by a rule's ledger row (a rule not listed here moves only the XP total).
_COUNTED: dict[str, str] = {
    "lesson_completed": "lessons_completed",
    "quiz_passed": "quizzes_passed",
    "perfect_quiz": "perfect_quizzes",
    "course_completed": "courses_completed",
}
# The ledger rows, the totals, and the badges of the counters that moved, in one round trip.
_AWARD_SQL = (
    "with awarded as ("
    " insert into xp_transactions (event_id, rule, user_id, xp, course_id, occurred_at)"
    " select * from (values {values}) v where exists (select from learner_stats where user_id = %(user_id)s)"
    " on conflict do nothing returning rule, xp"
    "), gained as (select coalesce(sum(xp), 0) as xp, {counts} from awarded), "
    "updated as (update learner_stats s set xp = s.xp + g.xp,"
    " level = floor(sqrt(((s.xp + g.xp) / 100)::float8))::int, {increments}, updated_at = %(now)s "
    "from gained g where s.user_id = %(user_id)s "
    "returning s.xp, g.xp as gained, s.lessons_completed, s.quizzes_passed, s.perfect_quizzes,"
    " s.courses_completed, s.longest_streak), "
    "unlocked as (insert into user_achievements (user_id, achievement_id, unlocked_at, event_id)"
    " select %(user_id)s, a.achievement_id, %(now)s, %(event_id)s from achievements a, updated u"
    " where u.gained > 0 and a.requirement_type = any(%(moved)s::text[]) and a.threshold <= case"
    " a.requirement_type when 'xp_total' then u.xp when 'streak_days' then u.longest_streak"
    " when 'lessons_completed' then u.lessons_completed when 'quizzes_passed' then u.quizzes_passed"
    " when 'perfect_quizzes' then u.perfect_quizzes when 'courses_completed' then u.courses_completed end"
    " on conflict do nothing returning achievement_id) "
    "select updated.*, array(select achievement_id from unlocked) as unlocked from updated"
)
_COUNTS = ", ".join(
    f"count(*) filter (where rule = '{rule}') as {column}" for rule, column in _COUNTED.items()
)
_INCREMENTS = ", ".join(f"{column} = s.{column} + g.{column}" for column in _COUNTED.values())

_UNLOCK_SQL = text(
    "insert into user_achievements (user_id, achievement_id, unlocked_at, event_id) "
    "select :user_id, a.achievement_id, :now, :event_id from achievements a "
    "join jsonb_each_text(cast(:counters as jsonb)) c on c.key = a.requirement_type "
    "where a.threshold <= c.value::bigint "
    "on conflict do nothing "
    "returning achievement_id"
)
_UNLOCKED_SQL = text(
    "select achievement_id, slug, name, rarity from achievements where achievement_id = any(:ids) "
    "order by threshold, slug"
)
_SETTINGS = ("time_zone", "leaderboard_opt_out")
# A zone the profile accepts (Python's zone database) that this server's lacks counts in UTC: the streak's
# ``at time zone`` must never fail on the award path.
_SETTINGS_SQL = text(
    "insert into learner_stats as s (user_id, time_zone, leaderboard_opt_out, updated_at) "
    "values (:user_id, (select coalesce(max(name), 'UTC') from pg_timezone_names where name = :time_zone), "
    ":opt_out, :now) on conflict (user_id) do update set "
    "time_zone = case when :set_zone then excluded.time_zone else s.time_zone end, "
    "leaderboard_opt_out = case when :set_opt_out then excluded.leaderboard_opt_out "
    "else s.leaderboard_opt_out end, updated_at = :now"
)
_PERFECT = 1.0 - 1e-9


def on_event(session: Session, row: EventRow) -> None:
    """React to one newly stored event (the listener installed by ``app_api.reactions``)."""
    if row.verb in LEARNING_VERBS and row.object_type in LEARNING_OBJECTS:
        _learning(session, row)
    elif row.verb == "updated" and row.object_type == "profile":
        _profile_changed(session, row)


def _rules(row: EventRow, streak_continued: bool) -> list[RuleName]:
    rules: list[RuleName] = ["streak_continued"] if streak_continued else []
    if row.verb == "completed" and row.object_type == "lesson":
        # Offered with every lesson; a unique index keeps one first_lesson row per learner.
        rules += ["lesson_completed", "first_lesson"]
    elif row.verb == "passed" and row.object_type == "assessment":
        perfect = row.score_scaled is not None and row.score_scaled >= _PERFECT
        rules += ["quiz_passed", "perfect_quiz"] if perfect else ["quiz_passed"]
    elif row.verb == "completed" and row.object_type == "course":
        rules.append("course_completed")
    return rules


def _learning(session: Session, row: EventRow) -> None:
    now = datetime.now(UTC)
    learner = row.actor_id
    # A change writes its events at one instant (a lesson's initialized, progressed and completed): after
    # the first, the day is known to be counted, so the others skip the streak's round trip.
    seen = session.info.setdefault("gamification_active_at", set())
    streak = None
    if (learner, row.occurred_at) not in seen:
        seen.add((learner, row.occurred_at))
        params = {"user_id": learner, "at": row.occurred_at, "now": now}
        streak = _one(session, _STREAK_SQL, params)
    counters: dict[RequirementType, int] = {}
    continued = False
    if streak is not None:  # a new active day
        previous: date | None = streak.previous_active_date
        continued = previous is not None and streak.last_active_date == previous + timedelta(days=1)
        counters["streak_days"] = streak.longest_streak
    rules = _rules(row, streak_continued=continued)
    if rules:
        moved = ["xp_total", *(_COUNTED[rule] for rule in rules if rule in _COUNTED), *counters]
        totals = _award(session, row, rules, moved, now)
        if totals is not None and totals.gained:
            counters.clear()  # the award's statement evaluated them
            _level_up(session, row, xp=totals.xp, gained=totals.gained)
            _announce(session, row, learner, list(totals.unlocked))
    if row.object_type == "assessment" and row.verb in {"passed", "failed", "completed"}:
        level = users.max_measured_level(session, user_id=learner)
        if level is not None:
            counters["skill_level"] = level
    if counters:
        _unlock(session, row, learner, counters, now)


def _award(session: Session, row: EventRow, rules: list[RuleName], moved: list[str], now: datetime) -> Any:
    params: dict[str, Any] = {
        "user_id": row.actor_id, "event_id": row.event_id, "course_id": row.course_id,
        "at": row.occurred_at, "now": now, "moved": moved,
    }  # fmt: skip
    for index, rule in enumerate(rules):
        params[f"rule_{index}"], params[f"xp_{index}"] = rule, XP_RULES[rule]
    return _one(session, _award_statement(len(rules)), params)


@cache
def _award_statement(rules: int) -> str:
    """The award statement for ``rules`` ledger rows (one text per count, so the server prepares each)."""
    values = ", ".join(
        f"(%(event_id)s::uuid, %(rule_{index})s, %(user_id)s::uuid, %(xp_{index})s::int, "
        "%(course_id)s::uuid, %(at)s::timestamptz)"
        for index in range(rules)
    )
    return _AWARD_SQL.format(values=values, counts=_COUNTS, increments=_INCREMENTS)


def _one(session: Session, statement: str, params: dict[str, Any]) -> Any:
    """The first row (a named tuple) or None, straight through the session's psycopg connection: the award
    path runs on every learning event, and SQLAlchemy's statement handling cost more than the statements.
    """
    session.flush()  # what session.execute would do: the statements read the change's own rows
    with driver_connection(session).cursor(row_factory=namedtuple_row) as cursor:
        return cursor.execute(statement, params).fetchone()


def _level_up(session: Session, row: EventRow, *, xp: int, gained: int) -> None:
    before, after = level_for(xp - gained), level_for(xp)
    if after <= before:
        return
    record_event(
        session, actor_id=row.actor_id, verb="earned", object_type="level", object_id=str(after),
        occurred_at=row.occurred_at, extensions={"xp": xp, "previous_level": before,
                                                 "trigger_event_id": str(row.event_id)},
    )  # fmt: skip
    notifications.notify(
        session, user_id=row.actor_id, kind="level_up", title=f"Level {after}!",
        body=f"You reached level {after} with {xp} XP.", link="/api/v1/gamification/me",
        data={"level": after, "xp": xp}, dedupe_key=f"level:{after}",
    )  # fmt: skip


def _unlock(
    session: Session,
    row: EventRow,
    learner: uuid.UUID,
    counters: Mapping[RequirementType, int],
    now: datetime,
) -> None:
    """Unlock every achievement whose counter reached its threshold and is not unlocked yet."""
    unlocked = session.scalars(
        _UNLOCK_SQL,
        {"user_id": learner, "now": now, "event_id": row.event_id, "counters": json.dumps(counters)},
    ).all()
    _announce(session, row, learner, list(unlocked))


def _announce(session: Session, row: EventRow, learner: uuid.UUID, unlocked: list[uuid.UUID]) -> None:
    """The event and the notification of each badge just unlocked."""
    if not unlocked:
        return
    for badge in session.execute(_UNLOCKED_SQL, {"ids": unlocked}):
        record_event(
            session, actor_id=learner, verb="earned", object_type="badge", object_id=badge.achievement_id,
            occurred_at=row.occurred_at, extensions={"slug": badge.slug, "rarity": badge.rarity,
                                                     "trigger_event_id": str(row.event_id)},
        )  # fmt: skip
        notifications.notify(
            session, user_id=learner, kind="badge_unlocked", title=f"Badge: {badge.name}",
            body=f"You unlocked the {badge.rarity} badge {badge.name}.",
            link="/api/v1/gamification/me/badges",
            data={"achievement_id": str(badge.achievement_id), "slug": badge.slug, "rarity": badge.rarity},
            dedupe_key=f"badge:{badge.achievement_id}",
        )  # fmt: skip


def _profile_changed(session: Session, row: EventRow) -> None:
    """Copy the gamification settings to the totals row; measured levels may unlock skill badges."""
    changes = row.extensions.get("changes") or {}
    target = row.extensions.get("target_user_id")
    if not isinstance(changes, dict) or not isinstance(target, str):
        return
    learner = uuid.UUID(target)
    preferences = changes.get("preferences") or {}
    if isinstance(preferences, dict) and any(key in preferences for key in _SETTINGS):
        session.execute(
            _SETTINGS_SQL,
            {
                "user_id": learner,
                "time_zone": preferences.get("time_zone") or "UTC",
                "opt_out": bool(preferences.get("leaderboard_opt_out")),
                "set_zone": "time_zone" in preferences,
                "set_opt_out": "leaderboard_opt_out" in preferences,
                "now": datetime.now(UTC),
            },
        )
    measured = [
        change.get("level")
        for change in changes.get("skill_levels") or []
        if isinstance(change, dict) and change.get("source") != "self"
    ]
    levels = [int(level) for level in measured if isinstance(level, int | float)]
    if levels:
        _unlock(session, row, learner, {"skill_level": max(levels)}, datetime.now(UTC))
