"""Issue 15 point 1: XP from events, exactly once; levels; daily streaks in the learner's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.gamification import service
from app_api.gamification.awards import on_event
from app_api.users import profiles
from app_api.users.schemas import PreferencesUpdate, ProfileUpdate
from skillstudio.events.contract import event_row
from skillstudio.web.principals import Principal
from tests.app_api.gamification.helpers import act, badges_of, events_of, ledger, notifications_of, stats
from tests.factories import make_user

DAY = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_a_first_lesson_earns_its_xp_the_first_lesson_bonus_and_the_first_badge(session: Session) -> None:
    learner = make_user(session).user_id
    act(session, learner, "initialized", "lesson", DAY)
    assert ledger(session, learner) == []  # activity, no XP
    act(session, learner, "completed", "lesson", DAY + timedelta(minutes=5))
    assert ledger(session, learner) == [("first_lesson", 10), ("lesson_completed", 50)]
    act(session, learner, "completed", "lesson", DAY + timedelta(minutes=9))
    assert ledger(session, learner)[2:] == [("lesson_completed", 50)]  # the bonus is paid once
    totals = stats(session, learner)
    assert (totals.xp, totals.level, totals.lessons_completed) == (110, 1, 2)
    assert badges_of(session, learner) == ["first-steps"]
    assert [kind for kind, _ in notifications_of(session, learner)] == ["badge_unlocked", "level_up"]
    assert ("level", "1") in events_of(session, learner, "earned")
    assert len(events_of(session, learner, "earned")) == 2  # the badge and the level


def test_xp_is_paid_once_per_event_even_when_the_event_is_replayed(session: Session) -> None:
    learner = make_user(session).user_id
    first = act(session, learner, "completed", "course", DAY, object_id=learner)
    again = act(session, learner, "completed", "course", DAY, object_id=learner)  # the same statement
    assert first == again
    row = event_row(occurred_at=DAY, actor_id=learner, verb="completed", object_type="course",
                    object_id=str(learner))  # fmt: skip
    on_event(session, row)  # a listener called twice for the event still pays once: the ledger's key
    assert ledger(session, learner) == [("course_completed", 500)]
    totals = stats(session, learner)
    assert (totals.xp, totals.level, totals.courses_completed) == (500, 2, 1)
    assert badges_of(session, learner) == ["graduate"]


def test_quizzes_pay_for_a_pass_and_a_perfect_score(session: Session) -> None:
    learner = make_user(session).user_id
    act(session, learner, "failed", "assessment", DAY, score_scaled=0.3, success=False)
    act(session, learner, "passed", "assessment", DAY + timedelta(minutes=1), score_scaled=0.8, success=True)
    act(session, learner, "passed", "assessment", DAY + timedelta(minutes=2), score_scaled=1.0, success=True)
    assert ledger(session, learner) == [("quiz_passed", 100), ("perfect_quiz", 50), ("quiz_passed", 100)]
    totals = stats(session, learner)
    assert (totals.xp, totals.quizzes_passed, totals.perfect_quizzes) == (250, 2, 1)
    assert badges_of(session, learner) == ["quiz-taker", "sharpshooter"]


def test_a_streak_continues_on_the_next_local_day_and_breaks_after_a_missed_one(session: Session) -> None:
    learner = make_user(session).user_id
    # Auckland is UTC+13 in November: 10:00 UTC and 12:00 UTC are different local days (23:00, 01:00).
    profiles.update_profile(
        session=session, actor=Principal(user_id=learner, role="learner"), learner_id=learner,
        update=ProfileUpdate(preferences=PreferencesUpdate(time_zone="Pacific/Auckland")), now=DAY,
    )  # fmt: skip
    base = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    act(session, learner, "progressed", "lesson", base)
    assert stats(session, learner).current_streak == 1
    act(session, learner, "progressed", "lesson", base + timedelta(hours=2))  # the next local day
    act(session, learner, "answered", "question", base + timedelta(hours=3))  # the same day: no more
    totals = stats(session, learner)
    assert (totals.current_streak, totals.longest_streak, totals.xp) == (2, 2, 20)
    assert ledger(session, learner) == [("streak_continued", 20)]
    act(session, learner, "progressed", "lesson", base + timedelta(days=1, hours=2))  # day 3
    act(session, learner, "progressed", "lesson", base + timedelta(days=3, hours=2))  # day 5: day 4 missed
    totals = stats(session, learner)
    assert (totals.current_streak, totals.longest_streak, totals.xp) == (1, 3, 40)
    assert "on-a-roll" in badges_of(session, learner)
    # A late statement from before the last active day changes nothing.
    act(session, learner, "progressed", "lesson", base + timedelta(days=2, hours=2))
    assert (stats(session, learner).current_streak, stats(session, learner).xp) == (1, 40)
    # Read on day 5 the streak is alive; read two days later it is broken.
    read = service.summary(session, learner_id=learner, now=base + timedelta(days=3, hours=5))
    assert (read.current_streak, read.longest_streak, read.time_zone) == (1, 3, "Pacific/Auckland")
    later = service.summary(session, learner_id=learner, now=base + timedelta(days=6))
    assert later.current_streak == 0


def test_the_ledger_sums_to_every_learners_totals(session: Session) -> None:
    learners = [make_user(session).user_id for _ in range(3)]
    for n, learner in enumerate(learners):
        for day in range(n + 2):
            at = DAY + timedelta(days=day)
            act(session, learner, "completed", "lesson", at)
            act(session, learner, "passed", "assessment", at + timedelta(minutes=1), score_scaled=1.0)
    mismatches = session.execute(
        text(
            "select s.user_id from learner_stats s left join "
            "(select user_id, sum(xp) as xp from xp_transactions group by 1) l using (user_id) "
            "where s.xp <> coalesce(l.xp, 0) and s.user_id = any(:ids)"
        ),
        {"ids": learners},
    ).all()
    assert mismatches == []
    assert stats(session, learners[2]).xp == 10 + 4 * 50 + 4 * 150 + 3 * 20


def test_skill_badges_follow_measured_levels_not_self_assessments(session: Session) -> None:
    learner = make_user(session).user_id
    levels = [{"skill_id": "s", "level": 9, "source": "self"}]
    act(session, learner, "updated", "profile", DAY, object_id=learner,
        extensions={"target_user_id": str(learner), "changes": {"skill_levels": levels}})  # fmt: skip
    assert badges_of(session, learner) == []
    levels = [{"skill_id": "s", "level": 7.4, "source": "diagnostic"}]
    act(session, learner, "updated", "profile", DAY + timedelta(minutes=1), object_id=learner,
        extensions={"target_user_id": str(learner), "changes": {"skill_levels": levels}})  # fmt: skip
    assert badges_of(session, learner) == ["specialist"]
