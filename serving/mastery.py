"""The champion knowledge tracer as the learning API's mastery updater.

The learning API defines the updater protocol (``app_api.mastery.updaters.MasteryUpdater``) and cannot
import models; the composition root installs a :class:`ChampionUpdater` from here when a ``champion``
of ``skill_mastery`` is registered. It holds the model loaded once; swapping it when the alias moves is
installing a new one (issue 13). The protocol is structural, so this module needs nothing from app_api.

A learner's state is the model's :class:`~models.mastery.online.OnlineState` (the GRU members' vectors,
the last answer codes the attention members read, the running counts) plus the diagnostic seeds, stored
as state v2: a binary header and packed arrays (:func:`write_state`). States written as JSON before v2
are still read, and the learner's next answer writes them back as v2. An answer on a state v2 reads only
what it changes (:func:`answer_state`: the GRU states, the last answer codes and the answered skill's
row) and copies the rest as bytes. A diagnostic's
IRT estimate of θ is a prior on the skill's logit, worth ``1/se²`` answers (capped); it is blended with the
model's logit, which is worth the learner's answers on the skill plus two, so the model takes over as
answers accrue.
"""

from __future__ import annotations

import math
import struct
import uuid
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import orjson

from models.mastery import LearnerHistory, LearnerState, MasteryModel
from models.mastery.model import LEVEL_MAX, LEVEL_MIN, LEVELS_PER_THETA, PRIOR_ANSWERS, THETA_LIMIT
from models.mastery.online import KEEP_MASK, OnlineState, OnlineTracer, count_features

MAX_SEED_WEIGHT = 8.0
# Skills' codes are remembered per updater (a UUID and its text form need not be made again for every
# answer), up to this many skills, which bounds the memory that skills unknown to the model can take.
MAX_REMEMBERED_SKILLS = 100_000


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
    """Advances a learner's state by one answer with the champion's weights (float32, compiled; ~0.1 ms
    with the caches cold)."""

    def __init__(self, model: MasteryModel, version: str) -> None:
        self.model = model
        self.version = f"skill_mastery/{version}"
        # The weights arranged for one answer at a time, once, when the champion is loaded.
        self.tracer = model.online()
        self._codes: dict[uuid.UUID, int] = {}

    def _skill_code(self, skill_id: uuid.UUID) -> int:
        code = self._codes.get(skill_id)
        if code is None:
            code = self.model.vocabulary.skill_code(str(skill_id))
            if len(self._codes) < MAX_REMEMBERED_SKILLS:
                self._codes[skill_id] = code
        return code

    # --- state (de)serialization -----------------------------------------------------------------

    def _read(self, state: bytes | None) -> tuple[OnlineState, dict[str, list[float]]]:
        if not state:
            return self.tracer.new_state(), {}
        if state[:1] == b"{":
            return self._read_json(state)
        return read_state(state)

    def _read_json(self, state: bytes) -> tuple[OnlineState, dict[str, list[float]]]:
        """A state written as JSON (before state v2): read, then written back as v2 by the next answer."""
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
        learner = LearnerState(hidden=hidden, history=history, answers=answers)
        return OnlineState.of(learner, self.tracer.n_grus), raw["seeds"]

    # --- the protocol --------------------------------------------------------------------------------

    def _answers(self, learner: OnlineState, key: str) -> int:
        return learner.skills.get(self.model.vocabulary.skill_code(key), (0,))[0]

    def _estimate(
        self,
        learner: OnlineState,
        seeds: dict[str, list[float]],
        skill_id: uuid.UUID,
        p: float | None = None,
        skill: int | None = None,
    ) -> Estimate:
        if skill is None:
            skill = self._skill_code(skill_id)
        if p is None:
            p = self.tracer.probability(learner, skill)
        answers = learner.skills.get(skill, (0,))[0]
        return _estimate(skill_id, p, answers, seeds.get(str(skill_id)) if seeds else None)

    def update(self, state: bytes | None, answer: _Answer) -> tuple[bytes, Estimate]:
        skill = self._skill_code(answer.skill_id)
        if state and state[:4] == MAGIC:
            # The path of every answer but a learner's first: the state's bytes are advanced in place.
            new_state, p, answers, seed = answer_state(
                self.tracer, state, skill, answer.skill_id, answer.correct
            )
            return new_state, _estimate(answer.skill_id, p, answers, seed)
        learner, seeds = self._read(state)
        learner, p = self.tracer.answer(learner, skill, bool(answer.correct))
        return write_state(learner, seeds), self._estimate(learner, seeds, answer.skill_id, p, skill)

    def seed(
        self, state: bytes | None, *, skill_id: uuid.UUID, theta: float, standard_error: float, answers: int
    ) -> tuple[bytes, Estimate]:
        learner, seeds = self._read(state)
        weight = min(1.0 / max(standard_error, 1e-3) ** 2, MAX_SEED_WEIGHT)
        # The diagnostic's own answers went through update() already; only those before it count extra.
        already = self._answers(learner, str(skill_id))
        seeds[str(skill_id)] = [theta, weight, max(answers - already, 0)]
        return write_state(learner, seeds), self._estimate(learner, seeds, skill_id)

    def predict(self, state: bytes | None, items: Sequence[_Item]) -> list[float]:
        learner, seeds = self._read(state)
        vocabulary = self.model.vocabulary
        predictions = []
        for item in items:
            skill = vocabulary.skill_code(str(item.skill_id))
            p = self.tracer.probability(learner, skill, vocabulary.item_code(str(item.question_id)))
            key = str(item.skill_id)
            if key in seeds:
                # The seed shifts the skill's logit by the same amount as in its estimate.
                typical = self.tracer.probability(learner, skill)
                shift = _logit(self._estimate(learner, seeds, item.skill_id, typical).p_mastery) - _logit(
                    typical
                )
                p = 1.0 / (1.0 + math.exp(-(_logit(p) + shift)))
            predictions.append(p)
        return predictions


def _estimate(skill_id: uuid.UUID, p: float, answers: int, seed: list[float] | None) -> Estimate:
    """Mastery of a skill from the model's P(correct) on it, the learner's ``answers`` on it and its
    diagnostic seed ``[θ, weight, answers before the model saw the learner]`` (None without one)."""
    evidence = answers + PRIOR_ANSWERS
    logit = _logit(p)
    if seed is not None:
        seed_logit, seed_weight, _ = seed
        logit = (seed_weight * seed_logit + evidence * logit) / (seed_weight + evidence)
        evidence += seed_weight
        p = 1.0 / (1.0 + math.exp(-logit))
    theta = min(max(logit, -THETA_LIMIT), THETA_LIMIT)
    level = LEVEL_MIN + (theta + THETA_LIMIT) * LEVELS_PER_THETA
    error = min(LEVELS_PER_THETA / math.sqrt(evidence * p * (1 - p)), LEVEL_MAX - LEVEL_MIN)
    seen = answers + (int(seed[2]) if seed is not None else 0)
    return Estimate(skill_id, p, level, error, seen)


# --- state v2: binary --------------------------------------------------------------------------------
#
# MAGIC, then a header of eight little-endian uint32 (GRU members, their width, last answers kept, skills
# answered, answers given, right answers, the last answers' bits, diagnostic seeds), then the GRU states
# (float32), the last answer codes, newest first (int32), per skill answered [code, attempts, right,
# position of the last answer, last answers' bits] (int32), and per seed the skill's UUID (16 bytes) and
# [θ, weight, answers before the model saw the learner] (float64). JSON states (before v2) begin with "{".
MAGIC = b"SKM\x02"
_HEADER = struct.Struct("<4s8I")
_SEED_KEY = 16


def write_state(learner: OnlineState, seeds: dict[str, list[float]]) -> bytes:
    """A learner's state and diagnostic seeds as state v2 (see above)."""
    hidden = learner.hidden
    skills = learner.skills
    rows = [value for code, counts in skills.items() for value in (code, *counts)]
    parts = [
        _HEADER.pack(
            MAGIC, hidden.shape[0], hidden.shape[1], len(learner.answers), len(skills),
            learner.position, learner.correct, learner.recent, len(seeds),
        ),
        hidden.astype(np.float32, copy=False).tobytes(),
        learner.answers.astype(np.int32, copy=False).tobytes(),
        struct.pack(f"<{len(rows)}i", *rows),
    ]  # fmt: skip
    if seeds:
        parts.append(b"".join(uuid.UUID(key).bytes for key in seeds))
        parts.append(np.asarray(list(seeds.values()), dtype=np.float64).tobytes())
    return b"".join(parts)


def read_state(state: bytes) -> tuple[OnlineState, dict[str, list[float]]]:
    """The learner and seeds of a state v2 written by :func:`write_state`."""
    magic, members, width, n_answers, n_skills, position, correct, recent, n_seeds = _HEADER.unpack_from(
        state
    )
    if magic != MAGIC:
        raise ValueError(f"not a mastery state v2 (starts with {bytes(state[:4])!r})")
    offset = _HEADER.size
    hidden = np.frombuffer(state, np.float32, members * width, offset).reshape(members, width)
    offset += 4 * members * width
    answers = np.frombuffer(state, np.int32, n_answers, offset)
    offset += 4 * n_answers
    rows = struct.unpack_from(f"<{5 * n_skills}i", state, offset)
    offset += 20 * n_skills
    seeds: dict[str, list[float]] = {}
    if n_seeds:
        keys = [str(uuid.UUID(bytes=bytes(state[offset + _SEED_KEY * k : offset + _SEED_KEY * (k + 1)])))
                for k in range(n_seeds)]  # fmt: skip
        offset += _SEED_KEY * n_seeds
        values = np.frombuffer(state, np.float64, 3 * n_seeds, offset).reshape(n_seeds, 3).tolist()
        seeds = dict(zip(keys, values, strict=True))
    learner = OnlineState(
        hidden=hidden,
        answers=answers,
        position=position,
        correct=correct,
        recent=recent,
        skills={rows[k]: list(rows[k + 1 : k + 5]) for k in range(0, 5 * n_skills, 5)},
    )
    return learner, seeds


_CODE = struct.Struct("<i")
_SKILL_ROW = struct.Struct("<5i")
_SEED_VALUES = struct.Struct("<3d")


def answer_state(
    tracer: OnlineTracer, state: bytes, skill: int, skill_id: uuid.UUID, correct: bool
) -> tuple[bytes, float, int, list[float] | None]:
    """One answer on ``skill`` (its code and UUID) applied to a state v2, without decoding what the answer
    leaves as it was: the same bytes as ``write_state`` of ``tracer.answer`` on ``read_state(state)``.

    Returns the new state, P(correct) of the learner's next answer on the skill, their answers on it
    and the skill's diagnostic seed (None without one). Only the GRU states, the last answer codes and the
    skill's row are read; the other skills' rows and the seeds are copied as bytes.
    """
    magic, members, width, n_answers, n_skills, position, right_all, recent, n_seeds = _HEADER.unpack_from(
        state
    )
    if magic != MAGIC:
        raise ValueError(f"not a mastery state v2 (starts with {bytes(state[:4])!r})")
    right = 1 if correct else 0
    code = 2 * skill + right
    offset = _HEADER.size
    hidden = np.frombuffer(state, np.float32, members * width, offset).reshape(members, width)
    offset += 4 * members * width
    kept = state[offset : offset + 4 * n_answers]
    offset += 4 * n_answers
    if tracer.n_attention:  # the newest first, at most the attention's context (as OnlineTracer.after)
        kept = _CODE.pack(code) + kept[: 4 * (tracer.context - 1)]
    rows = struct.unpack_from(f"<{5 * n_skills}i", state, offset)
    try:
        row = rows[::5].index(skill)
    except ValueError:  # the first answer on the skill: its row goes last
        row, attempts, skill_right, bits = n_skills, 0, 0, 0
    else:
        attempts, skill_right, bits = rows[5 * row + 1], rows[5 * row + 2], rows[5 * row + 4]
    attempts, skill_right, bits = attempts + 1, skill_right + right, ((bits << 1) | right) & KEEP_MASK
    recent = ((recent << 1) | right) & KEEP_MASK
    # After an answer on the skill, the next one on it is one answer later.
    features = count_features(position + 1, right_all + right, recent, attempts, skill_right, bits, 1)
    hidden, p = tracer.step_predict(hidden, code, np.frombuffer(kept, np.int32), features, skill)
    skills_end = offset + 20 * n_skills
    seeds = state[skills_end : skills_end + (_SEED_KEY + _SEED_VALUES.size) * n_seeds]
    seed = None
    if n_seeds:
        key = skill_id.bytes
        for k in range(n_seeds):
            if seeds[_SEED_KEY * k : _SEED_KEY * (k + 1)] == key:
                seed = list(_SEED_VALUES.unpack_from(seeds, _SEED_KEY * n_seeds + _SEED_VALUES.size * k))
                break
    new_state = b"".join(
        (
            _HEADER.pack(
                MAGIC, members, width, len(kept) // 4, n_skills + (row == n_skills), position + 1,
                right_all + right, recent, n_seeds,
            ),
            hidden.tobytes(),
            kept,
            state[offset : offset + 20 * row],
            _SKILL_ROW.pack(skill, attempts, skill_right, position, bits),
            state[offset + 20 * (row + 1) : skills_end],
            seeds,
        )
    )  # fmt: skip
    return new_state, p, attempts, seed
