"""The champion knowledge tracer as the learning API's mastery updater.

The learning API defines the updater protocol (``app_api.mastery.updaters.MasteryUpdater``) and cannot
import models; the composition root installs a :class:`ChampionUpdater` from here when a ``champion``
of ``skill_mastery`` is registered. It holds the model loaded once; swapping it when the alias moves is
installing a new one (issue 13). The protocol is structural, so this module needs nothing from app_api.

A learner's state is the model's :class:`~models.mastery.LearnerState` (the ensemble's GRU vectors joined
end to end, and the running counts) plus the diagnostic seeds, serialized as compact JSON. A diagnostic's
IRT estimate of θ is a prior on the skill's logit, worth ``1/se²`` answers (capped); it is blended with the
model's logit, which is worth the learner's answers on the skill plus two, so the model takes over as
answers accrue.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import orjson

from models.mastery import LearnerHistory, LearnerState, MasteryModel
from models.mastery.model import LEVEL_MAX, LEVEL_MIN, LEVELS_PER_THETA, PRIOR_ANSWERS, THETA_LIMIT

MAX_SEED_WEIGHT = 8.0


class _Answer(Protocol):
    @property
    def skill_id(self) -> uuid.UUID: ...
    @property
    def correct(self) -> bool: ...


class _Item(Protocol):
    @property
    def skill_id(self) -> uuid.UUID: ...
    @property
    def question_id(self) -> uuid.UUID: ...


class Estimate:
    """Shaped like ``app_api.mastery.updaters.SkillEstimate`` (structural: the API reads attributes)."""

    __slots__ = ("answers_seen", "level", "p_mastery", "skill_id", "uncertainty")

    def __init__(
        self, skill_id: uuid.UUID, p_mastery: float, level: float, uncertainty: float, answers_seen: int
    ) -> None:
        self.skill_id, self.p_mastery, self.level = skill_id, p_mastery, level
        self.uncertainty, self.answers_seen = uncertainty, answers_seen


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


class ChampionUpdater:
    """Advances a learner's state by one answer with the champion's weights (numpy, tens of µs)."""

    def __init__(self, model: MasteryModel, version: str) -> None:
        self.model = model
        self.version = f"skill_mastery/{version}"

    # --- state (de)serialization -----------------------------------------------------------------

    def _read(self, state: bytes | None) -> tuple[LearnerState, dict[str, list[float]]]:
        if not state:
            return self.model.new_state(), {}
        raw = orjson.loads(state)
        history = LearnerHistory.__new__(LearnerHistory)
        history.position = raw["position"]
        history.attempts_all, history.correct_all = raw["attempts_all"], raw["correct_all"]
        history.recent_all = tuple(raw["recent_all"])
        history.skill_attempts = np.asarray(raw["skill_attempts"], dtype=np.float64)
        history.skill_correct = np.asarray(raw["skill_correct"], dtype=np.float64)
        history.skill_recent = {int(k): tuple(v) for k, v in raw["skill_recent"].items()}
        history.skill_last_position = np.asarray(raw["skill_last_position"], dtype=np.int64)
        hidden = np.asarray(raw["hidden"], dtype=np.float64)
        # States written before the attention family carry no last answers.
        answers = tuple(int(code) for code in raw.get("answers", []))
        return LearnerState(hidden=hidden, history=history, answers=answers), raw["seeds"]

    def _write(self, learner: LearnerState, seeds: dict[str, list[float]]) -> bytes:
        history = learner.history
        raw: dict[str, Any] = {
            "hidden": learner.hidden,
            "position": history.position,
            "attempts_all": history.attempts_all,
            "correct_all": history.correct_all,
            "recent_all": list(history.recent_all),
            "skill_attempts": history.skill_attempts,
            "skill_correct": history.skill_correct,
            "skill_recent": {str(k): list(v) for k, v in history.skill_recent.items()},
            "skill_last_position": history.skill_last_position,
            "answers": list(learner.answers),
            "seeds": seeds,
        }
        # orjson writes the arrays as they are (the same JSON as the standard library's, several times faster:
        # encoding and decoding the state was most of an answer's update in process).
        return orjson.dumps(raw, option=orjson.OPT_SERIALIZE_NUMPY)

    # --- the protocol --------------------------------------------------------------------------------

    def _answers(self, learner: LearnerState, key: str) -> int:
        return int(learner.history.attempts(np.array([self.model.vocabulary.skill_code(key)]))[0])

    def _estimate(
        self, learner: LearnerState, seeds: dict[str, list[float]], skill_id: uuid.UUID
    ) -> Estimate:
        key = str(skill_id)
        p = self.model.predict_next(learner, key)
        answers = self._answers(learner, key)
        evidence = answers + PRIOR_ANSWERS
        logit = _logit(p)
        if key in seeds:
            seed_logit, seed_weight, _ = seeds[key]
            logit = (seed_weight * seed_logit + evidence * logit) / (seed_weight + evidence)
            evidence += seed_weight
            p = 1.0 / (1.0 + math.exp(-logit))
        theta = min(max(logit, -THETA_LIMIT), THETA_LIMIT)
        level = LEVEL_MIN + (theta + THETA_LIMIT) * LEVELS_PER_THETA
        error = min(LEVELS_PER_THETA / math.sqrt(evidence * p * (1 - p)), LEVEL_MAX - LEVEL_MIN)
        seen = answers + (int(seeds[key][2]) if key in seeds else 0)
        return Estimate(skill_id, p, level, error, seen)

    def update(self, state: bytes | None, answer: _Answer) -> tuple[bytes, Estimate]:
        learner, seeds = self._read(state)
        learner = self.model.update(learner, str(answer.skill_id), bool(answer.correct))
        return self._write(learner, seeds), self._estimate(learner, seeds, answer.skill_id)

    def seed(
        self, state: bytes | None, *, skill_id: uuid.UUID, theta: float, standard_error: float, answers: int
    ) -> tuple[bytes, Estimate]:
        learner, seeds = self._read(state)
        weight = min(1.0 / max(standard_error, 1e-3) ** 2, MAX_SEED_WEIGHT)
        # The diagnostic's own answers went through update() already; only those before it count extra.
        already = self._answers(learner, str(skill_id))
        seeds[str(skill_id)] = [theta, weight, max(answers - already, 0)]
        return self._write(learner, seeds), self._estimate(learner, seeds, skill_id)

    def predict(self, state: bytes | None, items: Sequence[_Item]) -> list[float]:
        learner, seeds = self._read(state)
        predictions = []
        for item in items:
            p = self.model.predict_next(learner, str(item.skill_id), str(item.question_id))
            key = str(item.skill_id)
            if key in seeds:
                # The seed shifts the skill's logit by the same amount as in its estimate.
                shift = _logit(self._estimate(learner, seeds, item.skill_id).p_mastery) - _logit(
                    self.model.predict_next(learner, key)
                )
                p = 1.0 / (1.0 + math.exp(-(_logit(p) + shift)))
            predictions.append(p)
        return predictions
