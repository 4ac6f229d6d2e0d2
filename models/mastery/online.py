"""The per-answer path of a fitted :class:`~models.mastery.model.MasteryModel`, arranged for speed.

Serving advances a learner by one answer inside the answer's own request, so this path is what the
learner waits for. :class:`OnlineTracer` arranges the model's weights once, when it is built, into
contiguous float32 arrays (the precision the torch networks were fitted and are evaluated in):

- every GRU member is stepped at once: their recurrent matrices are stacked (``members × h × 3h``) so one
  batched product serves all, and each member's input gates are a table looked up by answer code
  (``W_ih · embedding + b_ih`` for every ``(skill, correct)``);
- the head's first layer is split by what it reads: the asked skill's and item's parts are tables (bias
  folded in), and each member's summary (GRU state or attention output) with the count features goes
  through one batched product; the output layers, the members' weights and the blend are one vector;
- an attention member's softmax is factored into tables per query skill — exp(score of an answer code
  − score of the empty slot) and exp(score of a recency) — so a prediction gathers the answers' factors,
  multiplies them and takes one product with the values (the empty slot weighs exactly 1); vocabularies
  too large for the tables, or weights whose factors could overflow float32, score every answer instead.

:meth:`OnlineTracer.answer` advances a learner and predicts their next answer on the same skill in one
pass. When every attention member keeps its softmax as tables (the shipped sizes), that pass — the GRU
step and the head — is one function compiled with numba (:mod:`models.mastery.online_compiled`) over the
same tables, instead of ~35 numpy operations that each cost 3-20 µs with the caches cold inside a request;
the numpy operations remain for the rest and agree with it to float32 rounding. The counts the head
reads are kept as integers and bit masks of the last answers (:class:`OnlineState`), from which the 25
features of :func:`~models.mastery.features.history_features` are computed for one skill. Tests hold
both paths to the torch networks' offline predictions.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.mastery.features import WINDOWS

if TYPE_CHECKING:
    from models.mastery.model import LearnerState, MasteryModel
    from models.mastery.online_compiled import CompiledAnswer

# The last answers the count features look at (overall and per skill).
KEEP = max(WINDOWS)
# The bits of the last KEEP answers (``recent`` and each skill's bits are masked with it after an answer).
KEEP_MASK = (1 << KEEP) - 1
# An attention member's factor tables against every answer code are kept up to this many floats per member
# (32 MB); larger vocabularies compute the scores per answer.
MAX_SCORE_TABLE = 8_000_000


@dataclass
class OnlineState:
    """One learner as the online path keeps them.

    Attributes
    ----------
    hidden : numpy.ndarray
        The GRU members' states, ``members × hidden`` float32 (zero rows without GRU members).
    answers : numpy.ndarray
        The last answer codes ``2·skill + correct``, newest first (int32), at most the attention context
        (empty without attention members).
    position : int
        Answers given so far.
    correct : int
        Right answers so far.
    recent : int
        The last :data:`KEEP` answers as bits, the newest in bit 0 (1 = right).
    skills : dict
        Per skill code answered: ``[attempts, correct, position of the last answer, recent bits]``.
    """

    hidden: np.ndarray
    answers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    position: int = 0
    correct: int = 0
    recent: int = 0
    skills: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, learner: LearnerState, members: int) -> OnlineState:
        """The same learner from the model's reference state (:class:`~models.mastery.model.LearnerState`)."""
        history = learner.history
        skills = {
            int(code): [
                int(history.skill_attempts[code]),
                int(history.skill_correct[code]),
                int(history.skill_last_position[code]),
                _bits(history.skill_recent.get(int(code), ())),
            ]
            for code in np.flatnonzero(history.skill_attempts > 0)
        }
        return cls(
            hidden=np.asarray(learner.hidden, dtype=np.float32).reshape(members, -1),
            answers=np.asarray(learner.answers[::-1], dtype=np.int32),
            position=int(history.position),
            correct=int(history.correct_all),
            recent=_bits(history.recent_all),
            skills=skills,
        )


def _bits(answers: tuple[int, ...]) -> int:
    """Answers (oldest first, 1 = right) as bits with the newest in bit 0, the last :data:`KEEP` only."""
    bits = 0
    for answer in answers[-KEEP:]:
        bits = (bits << 1) | int(answer)
    return bits


# log1p of the counts a window can hold, and each window's mask of the last answers' bits: the features
# of one skill are computed inside every answer, so they are looked up rather than recomputed.
_LOG1P = tuple(math.log1p(count) for count in range(KEEP + 1))
_WINDOW_MASKS = tuple((window, (1 << window) - 1) for window in WINDOWS)


def _window_features(attempts: int, right: int, bits: int) -> list[float]:
    """:func:`models.mastery.features._window_features` from counts and the last answers' bits (bits
    above the answers given are 0, so a window's mask counts only answers that were given)."""
    log1p, counts = math.log1p, _LOG1P
    kept = attempts if attempts < KEEP else KEEP
    values = [log1p(attempts), log1p(right), log1p(attempts - right), (right + 1.0) / (attempts + 2.0)]
    for window, mask in _WINDOW_MASKS:
        ones = (bits & mask).bit_count()
        values.append(counts[ones])
        values.append(counts[(window if kept > window else kept) - ones])
    previous = bits & 1 if kept else 0
    values.append(float(previous))
    values.append(float((1 if kept else 0) - previous))
    return values


def count_features(
    position: int, correct: int, recent: int, attempts: int, right: int, bits: int, steps: int
) -> list[float]:
    """The 25 count features of :func:`~models.mastery.features.history_features` for a next answer on one
    skill: from the learner's answers (``position`` given, ``correct`` right, the last ones' ``recent``
    bits), the skill's (``attempts``, ``right``, ``bits``) and the answers since the skill's last one
    (``steps``, 0 if never answered)."""
    return [
        *_window_features(position, correct, recent),
        *_window_features(attempts, right, bits),
        math.log1p(steps),
    ]


class OnlineTracer:
    """A fitted model's online step in float32 numpy (see the module's docstring).

    Parameters
    ----------
    model : MasteryModel
        The fitted model; its weights are copied and rearranged, the model is not kept.
    """

    def __init__(self, model: MasteryModel) -> None:
        from models.mastery.model import GRU, family_of

        self.vocabulary = model.vocabulary
        size, heads = model.params.hidden, model.params.heads
        self.size, self.heads, self.width = size, heads, size // heads
        self.context = model.params.context
        grus = [w for w in model.networks if family_of(w) == GRU]
        attentions = [w for w in model.networks if family_of(w) != GRU]
        # The members' rows (states, weights) follow the model's order, which puts GRUs first.
        members = grus + attentions
        if any(m is not w for m, w in zip(members, model.networks, strict=True)):
            raise ValueError("the model's networks must list its GRU networks before its attention networks")
        self.n_grus, self.n_attention = len(grus), len(attentions)
        f32 = np.float32

        def stack(name: str) -> np.ndarray:
            return np.ascontiguousarray(np.stack([w[name] for w in members]).astype(f32))

        # GRU members: input gates per answer code, recurrent weights stacked. σ(x) = (1 + tanh(x/2)) / 2
        # takes fewer array operations than 1 / (1 + exp(-x)), so what feeds the reset and update gates
        # is stored halved, with the recurrent bias of those gates folded into the table; the candidate's
        # recurrent part is halved too, as it is multiplied by 1 + tanh(x/2) = 2σ(x).
        self.initial = np.ascontiguousarray(
            np.stack([w["initial_state"].reshape(-1) for w in grus]).astype(f32)
            if grus
            else np.zeros((0, size), f32)
        )
        # Added to the recurrent product: the reset and update gates' input part (with both biases), and
        # the candidate's recurrent bias; the candidate's input part is added after the reset gate.
        self.input_gates = np.ascontiguousarray(
            np.stack(
                [
                    np.c_[
                        (
                            w["answer_embedding.weight"] @ w["gru.weight_ih_l0"][: 2 * size].T
                            + w["gru.bias_ih_l0"][: 2 * size]
                            + w["gru.bias_hh_l0"][: 2 * size]
                        )
                        * 0.5,
                        np.broadcast_to(
                            0.5 * w["gru.bias_hh_l0"][2 * size :], (len(w["answer_embedding.weight"]), size)
                        ),
                    ]
                    for w in grus
                ]
            )
            .astype(f32)
            .transpose(1, 0, 2)
            if grus
            else np.zeros((0, 0, 3 * size), f32)
        )  # code × members × 3h
        self.candidate_inputs = np.ascontiguousarray(
            np.stack(
                [
                    w["answer_embedding.weight"] @ w["gru.weight_ih_l0"][2 * size :].T
                    + w["gru.bias_ih_l0"][2 * size :]
                    for w in grus
                ]
            )
            .astype(f32)
            .transpose(1, 0, 2)
            if grus
            else np.zeros((0, 0, size), f32)
        )  # code × members × h
        self.recurrent = np.ascontiguousarray(
            np.stack([0.5 * w["gru.weight_hh_l0"].T for w in grus]).astype(f32)
            if grus
            else np.zeros((0, size, 3 * size), f32)
        )  # members × h × 3h

        # The head's first layer, split by input: the asked skill's and item's parts are tables (with the
        # bias), and one batched product takes each member's [summary | counts] row.
        first = stack("hidden_layer.weight")  # members × h × (2h + features)
        self.head_weights = np.ascontiguousarray(
            np.concatenate([first[:, :, :size], first[:, :, 2 * size :]], axis=2).transpose(0, 2, 1)
        )  # members × (h + features) × h
        asked = first[:, :, size : 2 * size]
        self.skill_part = np.ascontiguousarray(
            (
                np.einsum("mls,mks->kml", asked, stack("skill_embedding.weight")) + stack("hidden_layer.bias")
            ).astype(f32)
        )  # skill × members × h
        self.item_part = np.ascontiguousarray(
            np.einsum("mls,mks->kml", asked, stack("item_embedding.weight")).astype(f32)
        )  # item × members × h
        # The typical item (unseen items' code) is what mastery is read on: its sum kept per skill.
        self.asked_typical = np.ascontiguousarray(self.skill_part + self.item_part[-1])
        # The output layers weighed and blended into one vector: the logit is
        # blend[0] · Σ_m w_m (o_m · layer_m + b_m) + blend[1] · Best-LR + blend[2].
        member_weights = model.blend[0] * np.asarray(
            model.network_weights or [1.0 / len(members)] * len(members)
        )
        output = np.stack([w["output_layer.weight"].reshape(-1) for w in members]).astype(np.float64)
        self.output_weights = np.ascontiguousarray((member_weights[:, None] * output).astype(f32))
        biases = np.asarray([float(w["output_layer.bias"].reshape(-1)[0]) for w in members])
        self.output_bias = float(member_weights @ biases) + model.blend[2]
        linear = model.linear
        self.linear = linear is not None
        self.linear_weight = model.blend[1]
        n_skills = self.vocabulary.n_skills
        if linear is not None:
            coef = np.asarray(linear["coef"], dtype=np.float64)
            self.linear_counts = coef[3 * n_skills :].tolist()
            self.linear_skill = (coef[:n_skills] + float(linear["intercept"])).tolist()
            self.linear_success = coef[n_skills : 2 * n_skills].tolist()
            self.linear_failure = coef[2 * n_skills : 3 * n_skills].tolist()
            self.success_column = int(linear["success_column"])
            self.failure_column = int(linear["failure_column"])

        # Attention members, per head: the empty slot is slot 0 and answer code c is slot c + 1, so one
        # look-up gathers every slot of a query; recency j (0 = the last answer) is slot j + 1.
        width, scale = self.width, 1.0 / math.sqrt(self.width)
        self.attention: list[_Attention] = []
        for w in attentions:
            query = w["query_embedding.weight"].reshape(-1, heads, width) * scale
            keys = np.concatenate([w["key_empty"], w["key_embedding.weight"]]).reshape(-1, heads, width)
            recency = np.concatenate([np.zeros((1, size)), w["key_recency"]]).reshape(-1, heads, width)
            values = np.concatenate([w["value_empty"], w["value_embedding.weight"]]).reshape(-1, heads, width)
            value_recency = np.concatenate([np.zeros((1, size)), w["value_recency"]]).reshape(
                -1, heads, width
            )
            scores_recency = np.einsum("shw,nhw->shn", query, recency)
            factors = None
            if query.shape[0] * keys.shape[0] * heads <= MAX_SCORE_TABLE:
                scores = np.einsum("shw,chw->shc", query, keys)
                factors = _softmax_factors(scores, scores_recency, values, value_recency)
            self.attention.append(
                _Attention(
                    query=np.ascontiguousarray(query.astype(f32)),
                    keys=np.ascontiguousarray(keys.astype(f32)),
                    scores_recency=np.ascontiguousarray(scores_recency.astype(f32)),
                    values=np.ascontiguousarray(values.transpose(1, 0, 2).astype(f32)),
                    value_recency=np.ascontiguousarray(value_recency.transpose(1, 0, 2).astype(f32)),
                    factors=factors,
                )
            )
        self.summaries = len(members)
        self.compiled = _compiled_tables(self)

    # --- state -------------------------------------------------------------------------------------

    def new_state(self) -> OnlineState:
        """A learner with no answers."""
        return OnlineState(hidden=self.initial.copy())

    def step(self, hidden: np.ndarray, code: int) -> np.ndarray:
        """The GRU members' states (``members × hidden`` float32) after one answer ``code`` (``2·skill +
        correct``); ``hidden`` is unchanged. Without GRU members, ``hidden`` itself."""
        if not self.n_grus:
            return hidden
        size = self.size
        gates = np.matmul(hidden[:, None, :], self.recurrent)[:, 0]  # halved (see __init__)
        gates += self.input_gates[code]
        twice_reset_keep = gates[:, : 2 * size]
        np.tanh(twice_reset_keep, out=twice_reset_keep)
        twice_reset_keep += 1.0
        candidate = gates[:, 2 * size :]
        candidate *= twice_reset_keep[:, :size]
        candidate += self.candidate_inputs[code]
        np.tanh(candidate, out=candidate)
        # h' = (1 - z)·n + z·h = n + z·(h - n)
        change = hidden - candidate
        change *= twice_reset_keep[:, size:]
        change *= 0.5
        change += candidate
        return change

    def after(self, state: OnlineState, skill: int, correct: bool) -> OnlineState:
        """The state after one more answer on ``skill`` (a code); ``state`` is unchanged."""
        right = int(bool(correct))
        return self._counted(state, skill, right, self.step(state.hidden, 2 * skill + right))

    def _counted(self, state: OnlineState, skill: int, right: int, hidden: np.ndarray) -> OnlineState:
        """:meth:`after` with the GRU states after the answer given (``hidden``)."""
        code = 2 * skill + right
        answers = state.answers
        if self.n_attention:
            answers = np.empty(min(len(state.answers) + 1, self.context), np.int32)
            answers[0] = code
            answers[1:] = state.answers[: len(answers) - 1]
        skills = dict(state.skills)
        attempts, skill_right, _, bits = skills.get(skill, (0, 0, -1, 0))
        skills[skill] = [
            attempts + 1,
            skill_right + right,
            state.position,
            ((bits << 1) | right) & KEEP_MASK,
        ]
        return OnlineState(
            hidden=hidden,
            answers=answers,
            position=state.position + 1,
            correct=state.correct + right,
            recent=((state.recent << 1) | right) & KEEP_MASK,
            skills=skills,
        )

    # --- prediction -------------------------------------------------------------------------------

    def features(self, state: OnlineState, skill: int) -> list[float]:
        """The 25 count features of a next answer on ``skill`` (a code), as :func:`history_features`."""
        attempts, right, last, bits = state.skills.get(skill, (0, 0, -1, 0))
        steps = 0 if last < 0 else state.position - last
        return count_features(state.position, state.correct, state.recent, attempts, right, bits, steps)

    def _attended(self, member: _Attention, skill: int, answers: np.ndarray, out: np.ndarray) -> None:
        """An attention member's output for a query on ``skill`` over ``answers`` (codes, newest first),
        written to ``out`` (``heads × width``)."""
        factors = member.factors
        if factors is not None:
            # exp(score − the empty slot's score) = the code's factor × the recency's factor, and the
            # empty slot's weight is 1: a gather, a product and one matrix product (see _softmax_factors).
            used = len(answers)
            weights = factors.codes[skill].take(answers, axis=1)  # heads × answers
            weights *= factors.recency[skill, :, :used]
            values = factors.values.take(answers, axis=1)  # heads × answers × (width + 1)
            values += factors.value_recency[:, :used]
            attended = np.matmul(weights[:, None, :], values)[:, 0]
            attended += factors.value_empty
            np.divide(attended[:, :-1], attended[:, -1:], out=out)
            return
        used = len(answers) + 1
        slots = np.zeros(used, np.intp)
        np.add(answers, 1, out=slots[1:])
        scores = np.einsum("hw,jhw->hj", member.query[skill], np.take(member.keys, slots, axis=0))
        scores += member.scores_recency[skill, :, :used]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        values = np.take(member.values, slots, axis=1)  # heads × slots × width
        values += member.value_recency[:, :used]
        np.matmul(scores[:, None, :], values, out=out[:, None, :])

    def probability(self, state: OnlineState, skill: int, item: int | None = None) -> float:
        """P(correct) of the learner's next answer on ``skill`` (and ``item``; codes, the typical item
        when None)."""
        return self.predict(state.hidden, state.answers, self.features(state, skill), skill, item)

    def predict(
        self,
        hidden: np.ndarray,
        answers: np.ndarray,
        features: list[float],
        skill: int,
        item: int | None = None,
    ) -> float:
        """:meth:`probability` from the learner's parts: the GRU states, the last answer codes (newest
        first) and the 25 count features of ``skill`` (:func:`count_features`)."""
        asked = self.asked_typical[skill] if item is None else self.skill_part[skill] + self.item_part[item]
        if self.compiled is not None:
            _, logit = self.compiled(hidden, -1, answers, skill, features, asked)
            return self._probability(logit, features, skill)
        size = self.size
        rows = np.empty((self.summaries, size + len(features)), np.float32)  # [summary | counts] per member
        rows[: self.n_grus, :size] = hidden
        for k, member in enumerate(self.attention, self.n_grus):
            self._attended(member, skill, answers, rows[k, :size].reshape(self.heads, self.width))
        rows[:, size:] = features
        layer = np.matmul(rows[:, None, :], self.head_weights)[:, 0]
        layer += asked
        np.maximum(layer, 0.0, out=layer)
        return self._probability(float(np.vdot(layer, self.output_weights)), features, skill)

    def _probability(self, logit: float, features: list[float], skill: int) -> float:
        """P(correct) from the networks' blended logit (before the output bias): Best-LR added."""
        logit += self.output_bias
        if self.linear:
            # In float64, as Best-LR was fitted; a sum over Python floats costs less than an array of them.
            logit += self.linear_weight * (
                self.linear_skill[skill]
                + self.linear_success[skill] * features[self.success_column]
                + self.linear_failure[skill] * features[self.failure_column]
                + sum(map(operator.mul, self.linear_counts, features))
            )
        return 1.0 / (1.0 + math.exp(-logit))

    def step_predict(
        self, hidden: np.ndarray, code: int, answers: np.ndarray, features: list[float], skill: int
    ) -> tuple[np.ndarray, float]:
        """:meth:`step` then :meth:`predict` on the typical item, in one pass: the GRU states after answer
        ``code`` and P(correct) of the next answer on ``skill`` from them, ``answers`` (the codes after
        the answer, newest first) and ``features`` (after the answer)."""
        if self.compiled is None:
            hidden = self.step(hidden, code)
            return hidden, self.predict(hidden, answers, features, skill)
        hidden, logit = self.compiled(hidden, code, answers, skill, features, self.asked_typical[skill])
        return hidden, self._probability(logit, features, skill)

    def answer(self, state: OnlineState, skill: int, correct: bool) -> tuple[OnlineState, float]:
        """One answer in one pass: the state after it and P(correct) of the next answer on the same skill.

        Parameters
        ----------
        state : OnlineState
            The learner before the answer (left unchanged).
        skill : int
            The answered skill's code (:meth:`~models.mastery.features.Vocabulary.skill_code`).
        correct : bool
            Whether the answer was right.

        Returns
        -------
        state : OnlineState
            The learner after the answer.
        probability : float
            P(correct) of their next answer on ``skill``, on its typical item.
        """
        right = int(bool(correct))
        after = self._counted(state, skill, right, state.hidden)
        after.hidden, p = self.step_predict(
            state.hidden, 2 * skill + right, after.answers, self.features(after, skill), skill
        )
        return after, p


def _compiled_tables(tracer: OnlineTracer) -> CompiledAnswer | None:
    """The tracer's answer as one compiled function (:mod:`models.mastery.online_compiled`), or None when an
    attention member scores every answer (vocabularies too large for the factor tables): then the numpy
    operations run."""
    factors = [member.factors for member in tracer.attention]
    if any(member is None for member in factors):
        return None
    from models.mastery.online_compiled import CompiledAnswer

    return CompiledAnswer(tracer, [member for member in factors if member is not None])


# The largest exponent a softmax factor table may reach (e^80 ≈ 5.5e34; float32 holds up to 3.4e38).
MAX_EXPONENT = 80.0


@dataclass(frozen=True)
class _SoftmaxFactors:
    """An attention member's softmax, factored per query skill (see :func:`_softmax_factors`)."""

    codes: np.ndarray  # skill × heads × code: exp(score of the code − score of the empty slot)
    recency: np.ndarray  # skill × heads × context: exp(score of the recency)
    values: np.ndarray  # heads × code × (width + 1): the code's value, then 1
    value_recency: np.ndarray  # heads × context × (width + 1): the recency's value, then 0
    value_empty: np.ndarray  # heads × (width + 1): the empty slot's value, then 1


def _softmax_factors(
    scores: np.ndarray, scores_recency: np.ndarray, values: np.ndarray, value_recency: np.ndarray
) -> _SoftmaxFactors | None:
    """A member's softmax as products of tables, or None when they could overflow float32.

    An answer's score is the code's score plus the recency's, so its softmax weight is proportional to
    exp(code score − empty score) · exp(recency score); the empty slot (recency score 0) gets exactly 1.
    So the weights need no maximum taken per answer and their sum is at least 1 (no underflow can empty
    it). Each value carries a last column of 1 (0 for recencies), so one product gives the weighted
    values and the weights' sum. When a weight could exceed e^:data:`MAX_EXPONENT` the member keeps the
    path that subtracts the maximum. Arguments are float64: ``scores`` skill × heads × slot (slot 0 empty),
    ``scores_recency`` skill × heads × (context + 1), ``values`` slot × heads × width, ``value_recency``
    (context + 1) × heads × width.
    """
    relative = scores[:, :, 1:] - scores[:, :, :1]
    recency = scores_recency[:, :, 1:]
    if np.any(relative.max(axis=2) + recency.max(axis=2, initial=0.0) > MAX_EXPONENT):
        return None
    f32 = np.float32

    def with_column(table: np.ndarray, last: float) -> np.ndarray:
        column = np.full((*table.shape[:2], 1), last)
        return np.ascontiguousarray(np.concatenate([table, column], axis=2).astype(f32))

    return _SoftmaxFactors(
        codes=np.ascontiguousarray(np.exp(relative).astype(f32)),
        recency=np.ascontiguousarray(np.exp(recency).astype(f32)),
        values=with_column(values[1:].transpose(1, 0, 2), 1.0),
        value_recency=with_column(value_recency[1:].transpose(1, 0, 2), 0.0),
        value_empty=np.ascontiguousarray(
            np.append(values[0], np.ones((values.shape[1], 1)), axis=1).astype(f32)
        ),
    )


@dataclass(frozen=True)
class _Attention:
    """One attention member's arrays, per head; slot 0 is the empty slot, slot ``c + 1`` answer code ``c``
    (or, for recency, ``c`` answers ago); queries and scores are scaled by 1/√width. ``factors`` is its
    softmax as tables when the vocabulary is small enough to keep them (then the rest is not read)."""

    query: np.ndarray  # skill × heads × width
    keys: np.ndarray  # slot × heads × width
    scores_recency: np.ndarray  # skill × heads × (context + 1)
    values: np.ndarray  # heads × slot × width
    value_recency: np.ndarray  # heads × (context + 1) × width
    factors: _SoftmaxFactors | None
