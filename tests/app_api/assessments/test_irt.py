"""IRT on its own: a simulated learner of known ability on a synthetic bank, selection, stopping, levels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app_api.assessments.irt import (
    Item,
    SkillPool,
    level_standard_error,
    next_item,
    theta_to_level,
    trajectory,
)

RASCH_BANK = [Item(1.0, float(b)) for b in np.linspace(-3, 3, 61)]


def simulate(
    truth: float, *, seed: int, target: float, cap: int, items: list[Item] = RASCH_BANK
) -> SkillPool:
    """Run one adaptive test for a learner who answers item i right with probability P_i(truth)."""
    rng = np.random.default_rng(seed)
    pool = SkillPool(items)
    while (choice := next_item({"skill": pool}, target_standard_error=target, max_questions=cap)) is not None:
        _, index = choice
        item = items[index]
        p_correct = 1 / (1 + math.exp(-item.discrimination * (truth - item.difficulty)))
        pool.administered.append(index)
        pool.responses.append(bool(rng.random() < p_correct))
    return pool


@pytest.mark.parametrize("truth", [-1.5, 0.0, 1.2, 2.0])
def test_estimate_lands_within_two_standard_errors_of_the_true_ability(truth: float) -> None:
    pool = simulate(truth, seed=7, target=0.4, cap=35)
    final = pool.estimate()
    assert abs(final.theta - truth) <= 2 * final.standard_error, (final, truth)
    assert final.standard_error < 0.45


def test_recovery_over_many_simulated_learners() -> None:
    rng = np.random.default_rng(11)
    truths = rng.uniform(-2.5, 2.5, 16)
    finals = [simulate(float(t), seed=i, target=0.45, cap=30).estimate() for i, t in enumerate(truths)]
    errors = np.array([final.theta - truth for final, truth in zip(finals, truths, strict=True)])
    covered = np.mean([abs(e) <= 2 * f.standard_error for e, f in zip(errors, finals, strict=True)])
    assert covered >= 0.85
    assert np.sqrt(np.mean(errors**2)) < 0.6
    assert np.corrcoef(truths, [f.theta for f in finals])[0, 1] > 0.9


def test_standard_error_falls_as_answers_accumulate() -> None:
    pool = simulate(0.8, seed=3, target=0.3, cap=30)
    errors = [step.standard_error for step in trajectory(pool.bank, pool.administered, pool.responses)]
    assert errors[4] > errors[14] > errors[-1]
    assert errors[-1] == pytest.approx(min(errors), abs=0.02)


def test_stops_once_the_standard_error_is_below_target() -> None:
    pool = simulate(0.0, seed=5, target=0.6, cap=60)
    steps = trajectory(pool.bank, pool.administered, pool.responses)
    assert steps[-1].standard_error < 0.6
    assert all(step.standard_error >= 0.6 for step in steps[:-1])
    assert len(steps) < 20


def test_stops_at_the_question_cap_when_the_target_is_out_of_reach() -> None:
    pool = simulate(0.0, seed=5, target=0.05, cap=12)
    assert len(pool.administered) == 12


def test_stops_when_the_pool_is_exhausted() -> None:
    items = RASCH_BANK[::10]
    pool = simulate(0.0, seed=1, target=0.05, cap=100, items=items)
    assert sorted(pool.administered) == list(range(len(items)))


def test_rasch_selection_picks_the_unanswered_item_nearest_the_estimate() -> None:
    pool = SkillPool(RASCH_BANK)
    pool.administered, pool.responses = [30, 40, 20, 35], [True, False, True, True]
    theta = pool.estimate().theta
    _, chosen = next_item({"skill": pool}, target_standard_error=0.01, max_questions=50) or (None, -1)
    remaining = [i for i in range(len(RASCH_BANK)) if i not in pool.administered]
    nearest = min(remaining, key=lambda i: abs(RASCH_BANK[i].difficulty - theta))
    assert chosen == nearest
    assert abs(RASCH_BANK[chosen].difficulty - theta) <= 0.05


def test_first_item_is_the_one_at_the_starting_estimate() -> None:
    _, chosen = next_item({"s": SkillPool(RASCH_BANK)}, target_standard_error=0.3, max_questions=5) or (
        None,
        -1,
    )
    assert RASCH_BANK[chosen].difficulty == pytest.approx(0.0)


def test_two_parameter_selection_prefers_the_more_discriminating_item() -> None:
    items = [Item(0.5, 0.0), Item(2.0, 0.4), Item(1.0, 2.5)]
    _, chosen = next_item({"s": SkillPool(items)}, target_standard_error=0.3, max_questions=5) or (None, -1)
    assert chosen == 1


def test_skills_take_turns_by_largest_standard_error_and_finished_skills_drop_out() -> None:
    sql, stats = SkillPool(RASCH_BANK), SkillPool(RASCH_BANK[::3])
    pools = {"sql": sql, "stats": stats}
    assert next_item(pools, target_standard_error=0.5, max_questions=40)[0] == "sql"  # type: ignore[index]
    sql.administered, sql.responses = [30], [True]
    assert next_item(pools, target_standard_error=0.5, max_questions=40)[0] == "stats"  # type: ignore[index]
    # sql measured precisely: 30 answers around its estimate.
    sql.administered = list(range(15, 45))
    sql.responses = [i % 2 == 0 for i in range(30)]
    stats.administered, stats.responses = [10], [False]
    assert sql.estimate().standard_error < 0.5
    assert next_item(pools, target_standard_error=0.5, max_questions=40)[0] == "stats"  # type: ignore[index]


def test_all_right_answers_give_a_finite_estimate_above_the_items_taken() -> None:
    steps = trajectory(SkillPool(RASCH_BANK).bank, [30, 40, 50], [True, True, True])
    assert [round(step.theta, 3) for step in steps] == [1.5, 2.25, 2.625]  # Dodd: half-way to b_max = 3
    assert all(math.isfinite(step.standard_error) for step in steps)


@pytest.mark.parametrize(
    ("theta", "level"),
    [(-4.0, 1.0), (-3.0, 1.0), (-1.0, 4.0), (0.0, 5.5), (1.0, 7.0), (3.0, 10.0), (9.0, 10.0)],
)
def test_theta_maps_linearly_onto_levels_one_to_ten(theta: float, level: float) -> None:
    assert theta_to_level(theta) == pytest.approx(level)


def test_standard_error_maps_to_the_level_scale_and_is_capped() -> None:
    assert level_standard_error(0.4) == pytest.approx(0.6)
    assert level_standard_error(100.0) == 9.0
