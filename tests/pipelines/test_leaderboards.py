"""Issue 15 point 3: the leaderboards mart, its serving cache, and the blocking XP ledger check."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from dagster import materialize
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from pipelines.defs.gamification.assets import leaderboard_cache
from pipelines.defs.gamification.checks import xp_ledger_sums_to_totals
from pipelines.defs.resources import PostgresResource
from skillstudio.db import libpq_url
from skillstudio.events.recording import record_event
from tests.conftest import DbtDatabase
from tests.factories import make_user
from tests.warehouses import dbt_build

GLOBAL = uuid.UUID(int=0)


def _seed(url: str) -> dict[str, uuid.UUID]:
    """Four learners: A and B tie on XP (A reached it first), C has less, D opted out with the most."""
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(url)
    course = uuid.uuid4()
    with Session(engine) as session:
        people = {name: make_user(session).user_id for name in "ABCD"}
        plan = {
            "A": [now - timedelta(minutes=30)],
            "B": [now - timedelta(minutes=10)],
            "C": [],
            "D": [now] * 3,
        }
        for name, times in plan.items():
            for n, at in enumerate(times):
                record_event(
                    session, actor_id=people[name], verb="completed", object_type="course",
                    object_id=uuid.uuid4(), occurred_at=at + timedelta(seconds=n), course_id=course,
                )  # fmt: skip
        record_event(session, actor_id=people["C"], verb="completed", object_type="lesson",
                     object_id=uuid.uuid4(), occurred_at=now, course_id=course)  # fmt: skip
        session.execute(
            text("update learner_stats set leaderboard_opt_out = true where user_id = :u"), {"u": people["D"]}
        )
        session.commit()
    engine.dispose()
    return {**people, "course": course}


def test_boards_rank_ties_by_who_reached_first_leave_opted_out_learners_out_and_are_served(
    dbt_database: DbtDatabase, tmp_path: Path
) -> None:
    url = dbt_database.url
    people = _seed(url)
    dbt_build(
        url,
        tmp_path,
        "--select",
        "+fct_leaderboards stg_skillstudio__users",
        "--indirect-selection",
        "cautious",
        profiles=dbt_database.profiles,
    )
    postgres = PostgresResource(url=url)
    check = xp_ledger_sums_to_totals(postgres=postgres)
    assert check.passed, check.metadata
    result = materialize(
        [leaderboard_cache], resources={"postgres": postgres}, partition_key=f"{datetime.now(UTC):%Y-%m-%d}"
    )
    assert result.success
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "select period, scope, course_id, rank, learner_id, xp from leaderboard_entries "
            "order by period, scope, course_id, rank"
        ).fetchall()
    for period in ("all_time", "month", "week"):
        for scope, course in (("global", GLOBAL), ("course", people["course"])):
            board = [
                (rank, learner, xp)
                for p, s, c, rank, learner, xp in rows
                if (p, s, c) == (period, scope, course)
            ]
            # C: a first lesson (10) and the lesson (50), both in the course
            assert board == [(1, people["A"], 500), (2, people["B"], 500), (3, people["C"], 60)], (
                period, scope,
            )  # fmt: skip
    # A ledger that disagrees with the totals fails the check (which blocks the cache downstream).
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("update learner_stats set xp = xp + 1 where user_id = %s", (people["A"],))
    failed = xp_ledger_sums_to_totals(postgres=postgres)
    assert not failed.passed and failed.metadata["learners_that_differ"].value == 1
