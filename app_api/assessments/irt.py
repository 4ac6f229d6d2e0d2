"""Item response theory for diagnostics and adaptive attempts, on top of catsim 0.21.

Each skill is measured on its own (unidimensional 2PL model per skill: P(correct) = 1 / (1 + e^(-a(θ-b)))).
catsim does the numerical parts:

- ``catsim.estimation.NumericalSearchEstimator`` — maximum-likelihood θ (bounded search on [-6, 6]);
  while a learner's answers on a skill are all right or all wrong the likelihood has no maximum, and
  catsim's Dodd heuristic moves θ half-way towards the hardest (easiest) item of the skill's pool instead.
  The estimate after k answers therefore depends on the estimate after k-1: ``trajectory`` replays the
  answers in the order they were given, which makes every estimate a pure function of stored rows.
- ``catsim.irt.see`` — the standard error 1/√I(θ) from the test information of the answered items.
- ``catsim.selection.MaxInfoSelector`` — the unanswered item with maximum Fisher information at θ (for a
  Rasch pool, the item whose difficulty is nearest θ).
- ``catsim.stopping.MinErrorStopper`` — a skill is done once its standard error is below the target (or
  its pool is exhausted).

What catsim does not do — several skills in one test — is done here: the next question comes from the
unfinished skill whose estimate is least certain (largest standard error; fewest answers, then the given
skill order, on ties), and within that skill catsim picks the most informative item. A question cap over
the whole attempt ends it.

θ → level: a clipped linear map, level = 1 + 9·(clip(θ, -3, 3) + 3) / 6 = 5.5 + 1.5·θ, so θ = -3 is level
1, θ = 0 (the pool's average difficulty on the usual scale) is 5.5 and θ = 3 is 10. The standard error
scales by the same 1.5 and is capped at 9 (the whole scale): an uncertainty wider than that says nothing
more. θ's own standard error is capped at 6 (the width of the clipped range) so that it stays finite.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from catsim import irt as catsim_irt
from catsim.estimation import NumericalSearchEstimator
from catsim.item_bank import ItemBank
from catsim.selection import MaxInfoSelector
from catsim.stopping import MinErrorStopper

THETA_MIN = -3.0
THETA_MAX = 3.0
LEVEL_MIN = 1.0
LEVEL_MAX = 10.0
LEVELS_PER_THETA = (LEVEL_MAX - LEVEL_MIN) / (THETA_MAX - THETA_MIN)
MAX_THETA_STANDARD_ERROR = THETA_MAX - THETA_MIN
MAX_LEVEL_STANDARD_ERROR = LEVEL_MAX - LEVEL_MIN
START_THETA = 0.0

K = TypeVar("K", bound=Hashable)


def theta_to_level(theta: float) -> float:
    clipped = min(max(theta, THETA_MIN), THETA_MAX)
    return LEVEL_MIN + (clipped - THETA_MIN) * LEVELS_PER_THETA


def level_standard_error(theta_standard_error: float) -> float:
    return min(theta_standard_error * LEVELS_PER_THETA, MAX_LEVEL_STANDARD_ERROR)


@dataclass(frozen=True)
class Item:
    """An item's 2PL parameters: discrimination ``a`` and difficulty ``b``."""

    discrimination: float
    difficulty: float


@dataclass(frozen=True)
class Estimate:
    theta: float
    standard_error: float
    answered: int

    @property
    def level(self) -> float:
        return theta_to_level(self.theta)

    @property
    def level_standard_error(self) -> float:
        return level_standard_error(self.standard_error)


UNMEASURED = Estimate(theta=START_THETA, standard_error=MAX_THETA_STANDARD_ERROR, answered=0)


def item_bank(items: Sequence[Item]) -> ItemBank:
    """A catsim bank of 2PL items (guessing 0, upper asymptote 1)."""
    parameters = np.array([[item.discrimination, item.difficulty] for item in items], dtype=float)
    # validate=False: catsim's validation prints to stdout even when the bank is valid; our database
    # constraints already guarantee a > 0.
    return ItemBank(parameters, validate=False)


def trajectory(bank: ItemBank, administered: Sequence[int], responses: Sequence[bool]) -> list[Estimate]:
    """The estimate after each answer, replayed in answer order (see the module docstring)."""
    if len(administered) != len(responses):
        raise ValueError("administered and responses must have the same length")
    estimator = NumericalSearchEstimator()
    theta = START_THETA
    estimates: list[Estimate] = []
    for count in range(1, len(administered) + 1):
        theta = float(
            estimator.estimate(
                item_bank=bank,
                administered_items=list(administered[:count]),
                response_vector=[bool(response) for response in responses[:count]],
                est_theta=theta,
            )
        )
        error = catsim_irt.see(theta, bank.get_items(list(administered[:count])))
        estimates.append(Estimate(theta, min(error, MAX_THETA_STANDARD_ERROR), count))
    return estimates


def estimate(bank: ItemBank, administered: Sequence[int], responses: Sequence[bool]) -> Estimate:
    """The current estimate; ``UNMEASURED`` before the first answer."""
    steps = trajectory(bank, administered, responses)
    return steps[-1] if steps else UNMEASURED


@dataclass
class SkillPool:
    """One skill's item pool in an adaptive attempt and what has been answered from it, in order."""

    items: Sequence[Item]
    administered: list[int] = field(default_factory=list)
    responses: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bank = item_bank(self.items)

    def estimate(self) -> Estimate:
        return estimate(self.bank, self.administered, self.responses)

    def finished(self, current: Estimate, target_standard_error: float) -> bool:
        if len(self.administered) >= self.bank.n_items:
            return True
        if not self.administered:
            return False
        stopper = MinErrorStopper(target_standard_error)
        return stopper.stop(
            administered_items=self.bank.get_items(self.administered),
            theta=current.theta,
            _item_bank=self.bank,
        )


def next_item(
    pools: Mapping[K, SkillPool], *, target_standard_error: float, max_questions: int
) -> tuple[K, int] | None:
    """The skill and pool index of the next question, or None when the attempt should stop."""
    if sum(len(pool.administered) for pool in pools.values()) >= max_questions:
        return None
    best: tuple[float, int, int, K, Estimate] | None = None
    for order, (skill, pool) in enumerate(pools.items()):
        current = pool.estimate()
        if pool.finished(current, target_standard_error):
            continue
        rank = (-current.standard_error, len(pool.administered), order)
        if best is None or rank < best[:3]:
            best = (*rank, skill, current)
    if best is None:
        return None
    skill, current = best[3], best[4]
    pool = pools[skill]
    index = MaxInfoSelector().select(
        item_bank=pool.bank, administered_items=pool.administered, est_theta=current.theta
    )
    return None if index is None else (skill, int(index))
