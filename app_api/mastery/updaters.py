"""The hook between answers and mastery: the updater protocol, the fallback rule, and which one is in use.

app_api may not import ``models`` or ``serving``, so the trained knowledge tracer cannot be called from here
directly. Instead this module defines what an updater does (pure: a learner's stored state and one answer
in, the new state and the skill's estimate out) and holds the one in use. The composition root
(``skillstudio.main.app``) installs the champion-backed updater from ``serving.mastery``; until it does, or
when no champion is registered (a fresh install), :class:`IrtRule` answers, so an answer never fails for
want of a model.

The rule (documented in docs/mastery.md): per skill a normal belief about θ on the diagnostics' IRT scale,
prior N(0, 1) or the diagnostic's estimate, updated after each answer on a 2PL item (a, b) by one
Laplace (Newton) step — information grows by a²·p·(1-p) and θ moves by a·(correct - p) / information. The
information is capped (:data:`MAX_INFORMATION`) so that the estimate keeps following a learner whose
knowledge changes (old answers weigh less, as a forgetting model would). P(mastery) is P(correct) on an
average item (a = 1, b = 0), level and uncertainty use the diagnostics' θ → level map.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# The diagnostics' map (app_api.assessments.irt; copied, as domains do not share plumbing): level = 5.5 +
# 1.5·θ on θ clipped to [-3, 3], its standard error × 1.5 capped at 9.
THETA_LIMIT = 3.0
LEVELS_PER_THETA = 1.5
MAX_LEVEL_STANDARD_ERROR = 9.0
PRIOR_INFORMATION = 1.0
# A standard error of θ never below 1/√8 ≈ 0.35: about the last 30 answers' worth of evidence.
MAX_INFORMATION = 8.0


@dataclass(frozen=True)
class Answer:
    """One answer on a question tagged with a skill, with the question's IRT parameters."""

    skill_id: uuid.UUID
    question_id: uuid.UUID
    correct: bool
    discrimination: float
    difficulty: float


@dataclass(frozen=True)
class Item:
    """A candidate question: its skill and IRT parameters (for predicting P(correct))."""

    skill_id: uuid.UUID
    question_id: uuid.UUID
    discrimination: float
    difficulty: float


@dataclass(frozen=True)
class SkillEstimate:
    """Mastery of one skill after an update: P(mastery), 1-10 level, the level's standard error."""

    skill_id: uuid.UUID
    p_mastery: float
    level: float
    uncertainty: float
    answers_seen: int


class Estimated(Protocol):
    """What an updater returns about a skill (``SkillEstimate`` or any object with these attributes)."""

    @property
    def skill_id(self) -> uuid.UUID: ...
    @property
    def p_mastery(self) -> float: ...
    @property
    def level(self) -> float: ...
    @property
    def uncertainty(self) -> float: ...
    @property
    def answers_seen(self) -> int: ...


class MasteryUpdater(Protocol):
    """What the answer hook calls. Implementations are pure functions of their arguments and the model
    they hold; the mastery service reads and writes the state (bytes) in the answer's transaction."""

    @property
    def version(self) -> str:
        """Names the model (and version) the state belongs to; a state of another version is not read."""
        ...

    def update(self, state: bytes | None, answer: Answer) -> tuple[bytes, Estimated]:
        """The state after ``answer`` and the estimate of the answered skill."""
        ...

    def seed(
        self, state: bytes | None, *, skill_id: uuid.UUID, theta: float, standard_error: float, answers: int
    ) -> tuple[bytes, Estimated]:
        """The state after a diagnostic measured θ (IRT scale) with ``standard_error`` on ``skill_id``."""
        ...

    def predict(self, state: bytes | None, items: Sequence[Item]) -> list[float]:
        """P(correct) of the learner's next answer on each item."""
        ...


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def theta_to_level(theta: float) -> float:
    return 5.5 + LEVELS_PER_THETA * min(max(theta, -THETA_LIMIT), THETA_LIMIT)


@dataclass
class _Belief:
    theta: float = 0.0
    information: float = PRIOR_INFORMATION
    answers: int = 0


class IrtRule:
    """The fallback updater: a per-skill normal belief about θ, one Laplace step per answer."""

    version = "rule:irt-laplace-1"

    def _read(self, state: bytes | None) -> dict[str, _Belief]:
        if not state:
            return {}
        return {skill: _Belief(*values) for skill, values in json.loads(state).items()}

    def _write(self, beliefs: dict[str, _Belief]) -> bytes:
        return json.dumps({k: [b.theta, b.information, b.answers] for k, b in beliefs.items()}).encode()

    @staticmethod
    def estimate(skill_id: uuid.UUID, belief: _Belief) -> SkillEstimate:
        return SkillEstimate(
            skill_id=skill_id,
            p_mastery=_sigmoid(belief.theta),
            level=theta_to_level(belief.theta),
            uncertainty=min(LEVELS_PER_THETA / math.sqrt(belief.information), MAX_LEVEL_STANDARD_ERROR),
            answers_seen=belief.answers,
        )

    def update(self, state: bytes | None, answer: Answer) -> tuple[bytes, SkillEstimate]:
        beliefs = self._read(state)
        belief = beliefs.setdefault(str(answer.skill_id), _Belief())
        a, b = answer.discrimination, answer.difficulty
        p = _sigmoid(a * (belief.theta - b))
        information = belief.information + a * a * p * (1.0 - p)
        theta = belief.theta + a * (float(answer.correct) - p) / information
        belief.theta = min(max(theta, -2 * THETA_LIMIT), 2 * THETA_LIMIT)
        belief.information = min(information, MAX_INFORMATION)
        belief.answers += 1
        return self._write(beliefs), self.estimate(answer.skill_id, belief)

    def seed(
        self, state: bytes | None, *, skill_id: uuid.UUID, theta: float, standard_error: float, answers: int
    ) -> tuple[bytes, SkillEstimate]:
        beliefs = self._read(state)
        previous = beliefs.get(str(skill_id), _Belief())
        belief = _Belief(
            theta=theta,
            information=min(max(1.0 / standard_error**2, PRIOR_INFORMATION), MAX_INFORMATION),
            answers=max(previous.answers, answers),
        )
        beliefs[str(skill_id)] = belief
        return self._write(beliefs), self.estimate(skill_id, belief)

    def predict(self, state: bytes | None, items: Sequence[Item]) -> list[float]:
        beliefs = self._read(state)
        thetas = [beliefs.get(str(item.skill_id), _Belief()).theta for item in items]
        return [
            _sigmoid(item.discrimination * (theta - item.difficulty))
            for item, theta in zip(items, thetas, strict=True)
        ]


@dataclass(frozen=True)
class Policy:
    """Targets of the next-question choice: P(correct) aimed at, and while struggling on the skill."""

    target: float = 0.7
    struggling_target: float = 0.85
    online: bool = True
    """False: answers do not update mastery (the benchmark's baseline; bulk loads)."""


_installed: dict[str, object] = {"updater": IrtRule(), "policy": Policy()}


def install(updater: MasteryUpdater, policy: Policy | None = None) -> MasteryUpdater:
    """Use ``updater`` (and ``policy``) from now on; returns the updater it replaces (tests restore it)."""
    previous = current()
    _installed["updater"] = updater
    if policy is not None:
        _installed["policy"] = policy
    return previous


def current() -> MasteryUpdater:
    updater = _installed["updater"]
    return updater  # type: ignore[return-value]


def policy() -> Policy:
    chosen = _installed["policy"]
    assert isinstance(chosen, Policy)
    return chosen
