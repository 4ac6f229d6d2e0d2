"""The learner and item marts (fct_skill_responses, fct_question_stats, fct_learner_daily) compared row for
row with their Python recomputation from the raw rows (``learner_expectations``), with the generator's
hidden item parameters, and refreshed without a window from the table's last day (built day by day against
one full build: tests/dbt/test_incremental.py).

On the OULAD slice there are no item answers (OULAD records one score per assessment, which the importer
writes as an attempt without items): the item marts are empty there, and fct_learner_daily holds the VLE
clicks, registrations and assessment submissions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from scipy.stats import spearmanr

from pipelines.defs.analytics.project import dbt_resource
from skillstudio.db import libpq_url
from tests.dbt import learner_expectations as expect
from tests.dbt.conftest import Warehouse

WAREHOUSES = ["generated_warehouse", "oulad_warehouse"]
RESPONSES = (
    "learner_id, skill_id, seq, learner_seq, answered_at, correct, course_id, assessment_id, item_position"
)
QUESTION_STATS = (
    "course_id, skill_id, question_type, difficulty, attempts, learners, correct_answers, correct_share, "
    "rest_scored_attempts, discrimination, review_flag, review_reason"
)
LEARNER_DAILY = (
    "events, lessons_completed, answers, correct_answers, minutes, courses_active, current_streak_days"
)
# discrimination is rounded to 4 places by the mart and a float here: one rounding step apart at most.
ROUNDING = 0.5e-4 + 1e-9


def keyed(rows: list[tuple[Any, ...]], width: int) -> dict[Any, tuple[Any, ...]]:
    return {(row[0] if width == 1 else tuple(row[:width])): tuple(row[width:]) for row in rows}


@pytest.mark.parametrize("warehouse_name", WAREHOUSES)
def test_skill_responses_equal_their_recomputation(
    warehouse_name: str, request: pytest.FixtureRequest
) -> None:
    warehouse: Warehouse = request.getfixturevalue(warehouse_name)
    actual = warehouse.rows(f"select attempt_id, question_id, {RESPONSES} from analytics.fct_skill_responses")
    assert keyed(actual, 2) == expect.fct_skill_responses(warehouse)


@pytest.mark.parametrize("warehouse_name", WAREHOUSES)
def test_question_stats_equal_their_recomputation(
    warehouse_name: str, request: pytest.FixtureRequest
) -> None:
    warehouse: Warehouse = request.getfixturevalue(warehouse_name)
    actual = keyed(
        warehouse.rows(f"select question_id, {QUESTION_STATS} from analytics.fct_question_stats"), 1
    )
    expected = expect.fct_question_stats(warehouse)
    assert actual.keys() == expected.keys()
    for question_id, row in actual.items():
        wanted = expected[question_id]
        # Everything but discrimination exactly; discrimination within the mart's rounding.
        assert row[:9] + row[10:] == wanted[:9] + wanted[10:], question_id
        assert (row[9] is None) == (wanted[9] is None), question_id
        if row[9] is not None:
            assert abs(float(row[9]) - wanted[9]) <= ROUNDING, (question_id, row[9], wanted[9])


@pytest.mark.parametrize("warehouse_name", WAREHOUSES)
def test_learner_daily_equals_its_recomputation(warehouse_name: str, request: pytest.FixtureRequest) -> None:
    warehouse: Warehouse = request.getfixturevalue(warehouse_name)
    actual = warehouse.rows(
        f"select learner_id, activity_date, {LEARNER_DAILY} from analytics.fct_learner_daily"
    )
    assert keyed(actual, 2) == expect.fct_learner_daily(warehouse)


def test_generated_history_exercises_every_figure(generated_warehouse: Warehouse) -> None:
    """The comparisons above are between rows that say something."""
    responses = expect.fct_skill_responses(generated_warehouse)
    assert len(responses) > 1000 and max(row[2] for row in responses.values()) >= 10
    assert {row[5] for row in responses.values()} == {True, False}
    # Learners answer on several skills: the per-skill and the whole-sequence numbers differ.
    assert any(row[2] < row[3] for row in responses.values())
    # A learner answers some questions more than once (retakes), so attempts and learners differ.
    stats = expect.fct_question_stats(generated_warehouse).values()
    assert len(stats) > 50 and any(row[4] > row[5] for row in stats)
    assert sum(row[9] is None for row in stats) >= 1 and sum(row[9] is not None for row in stats) > 50
    reasons = Counter(row[11] for row in stats)
    assert reasons[None] > len(stats) / 2 and len(reasons) >= 3, reasons
    assert any(row[4] < expect.dbt_vars()["question_review_min_attempts"] for row in stats)
    daily = expect.fct_learner_daily(generated_warehouse).values()
    for column in range(6):
        assert sum(row[column] for row in daily) > 0, column
    assert max(row[6] for row in daily) >= 5 and any(row[5] >= 2 for row in daily)
    # The session rule is in play: some gaps within a day are longer than it, and count nothing.
    by_day: dict[tuple[Any, date], list[Any]] = {}
    for event in expect.learning_events(generated_warehouse):
        by_day.setdefault((event.actor_id, event.day), []).append(event.occurred_at)
    limit = timedelta(minutes=expect.dbt_vars()["session_gap_minutes"])
    ordered = [sorted(times) for times in by_day.values()]
    gaps = [later - earlier for times in ordered for earlier, later in zip(times, times[1:], strict=False)]
    assert sum(gap > limit for gap in gaps) > 100 and sum(gap <= limit for gap in gaps) > 1000


def test_answers_per_day_are_the_responses_of_that_day(generated_warehouse: Warehouse) -> None:
    """The generator's answered events and its attempt items tell one story: the two marts agree."""
    per_day = Counter(
        (learner_id, answered_at.astimezone(UTC).date(), correct)
        for learner_id, answered_at, correct in generated_warehouse.rows(
            "select learner_id, answered_at, correct from analytics.fct_skill_responses"
        )
    )
    daily = generated_warehouse.rows(
        "select learner_id, activity_date, answers, correct_answers from analytics.fct_learner_daily"
    )
    assert sum(per_day.values()) == sum(answers for _, _, answers, _ in daily) > 1000
    for learner_id, day, answers, correct in daily:
        assert (per_day[(learner_id, day, True)], per_day[(learner_id, day, False)]) == (
            correct,
            answers - correct,
        )


def test_item_statistics_follow_the_hidden_item_parameters(generated_warehouse: Warehouse) -> None:
    rows = generated_warehouse.rows("""
        select stats.correct_share, stats.discrimination, stats.difficulty, truth.difficulty, stats.attempts
        from analytics.fct_question_stats as stats
        join truth.question_items as truth using (question_id)
        """)  # fmt: skip
    share, discrimination, bank_difficulty, true_difficulty, attempts = zip(*rows, strict=True)
    assert len(rows) > 50
    # Harder items (by the hidden b) are answered right less often; the bank's estimate of b agrees.
    by_truth = spearmanr([float(s) for s in share], true_difficulty).statistic
    by_bank = spearmanr([float(s) for s in share], bank_difficulty).statistic
    assert by_truth < -0.4 and by_bank < -0.3, (by_truth, by_bank)
    # Every hidden item discriminates (a > 0): measured discrimination is positive for the items with
    # enough answers to tell, all but a few.
    judged = [
        float(value)
        for value, count in zip(discrimination, attempts, strict=True)
        if value is not None and count >= expect.dbt_vars()["question_review_min_attempts"]
    ]
    assert len(judged) > 30
    assert sum(value > 0 for value in judged) >= 0.9 * len(judged)
    assert sum(judged) / len(judged) > 0.2


def test_oulad_has_no_item_answers_so_item_marts_are_empty(oulad_warehouse: Warehouse) -> None:
    """OULAD scores whole assessments: attempts without items, no question bank, empty item marts; its
    learner days are clicks, registrations and submissions, with no answers."""
    counts = oulad_warehouse.rows("""
        select (select count(*) from public.assessment_attempts), (select count(*) from public.attempt_items),
               (select count(*) from public.questions), (select count(*) from analytics.fct_skill_responses),
               (select count(*) from analytics.fct_question_stats)
        """)  # fmt: skip
    attempts, items, questions, responses, stats = counts[0]
    assert attempts > 0 and (items, questions, responses, stats) == (0, 0, 0, 0)
    daily = expect.fct_learner_daily(oulad_warehouse).values()
    assert len(daily) > 10 and sum(row[1] for row in daily) == 0 and sum(row[2] for row in daily) == 0
    assert max(row[6] for row in daily) >= 2


# --- Incremental: a run without a window picks up from the table's last day ---------------------------------
# Day by day against one full build, a day refreshed again, a late event and an archived month:
# tests/dbt/test_incremental.py, whose compared models include fct_learner_daily.


def dbt_run(warehouse: Warehouse, target: Path, *args: str) -> None:
    """``dbt run`` in a non-UTC session, as ``dbt_build`` builds, with the warehouse's own profile (its saved
    parse); fails the caller if the run fails."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PGTZ", "Pacific/Auckland")
        invocation = dbt_resource(warehouse.url, warehouse.profiles).cli(
            ["run", *args],
            raise_on_error=False,
            target_path=target,
        )
        output = "\n".join(str(event) for event in invocation.stream_raw_events())
    assert invocation.process.returncode == 0, output


def test_learner_daily_run_without_a_window_refreshes_from_its_last_day(
    generated_warehouse: Warehouse, tmp_path: Path
) -> None:
    # The generated warehouse's full build, whose rows equal their recomputation (the tests above), is the
    # reference; it is put back as it was by the run under test, or the test fails.
    warehouse = generated_warehouse
    query = f"select learner_id, activity_date, {LEARNER_DAILY} from analytics.fct_learner_daily"
    full = keyed(warehouse.rows(query), 2)
    assert max(row[-1] for row in full.values()) >= 3
    last_day = max(day for _, day in full)

    # The last day is missing, as it is before the day's run: a run without vars (the default window, from
    # the table's last day through today) recomputes the day before it and adds it, streaks included.
    with psycopg.connect(libpq_url(warehouse.url)) as conn:
        conn.execute("delete from analytics.fct_learner_daily where activity_date = %s", (last_day,))
        conn.commit()
    assert keyed(warehouse.rows(query), 2) != full
    dbt_run(warehouse, tmp_path / "target", "--select", "fct_learner_daily")
    assert keyed(warehouse.rows(query), 2) == full
    minutes = [row[4] for row in full.values()]
    assert all(isinstance(value, Decimal) for value in minutes) and sum(minutes) > 0
