"""The online path's numeric part compiled with numba: one GRU step and the head's logit in one call.

Inside a request every numpy operation of :class:`~models.mastery.online.OnlineTracer` runs with cold
caches and costs 3-20 µs whatever its size; the update made ~35 of them. Here the same arithmetic (float32,
the tracer's tables) is one compiled function, so an answer pays one call. It is compiled for one
signature when this module is imported (numba's cache, next to this file, makes that a load after the
first time), so no request compiles anything; arrays that are writable or read-only (states read from
bytes) both match it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, types

if TYPE_CHECKING:
    from models.mastery.online import OnlineTracer, _SoftmaxFactors

_F32 = np.float32
_ONE, _HALF, _ZERO = _F32(1.0), _F32(0.5), _F32(0.0)


def _array(dtype: types.Type, dims: int) -> types.Array:
    return types.Array(dtype, dims, "C", readonly=True)


_SIGNATURE = types.Tuple((types.Array(types.float32, 2, "C"), types.float64))(
    _array(types.float32, 2),  # hidden: GRU members × h
    types.int64,  # code: the answer's code, or -1 for no step
    _array(types.float32, 3),  # recurrent: GRU members × h × 3h (halved, as the tracer keeps it)
    _array(types.float32, 3),  # input_gates: code × GRU members × 3h
    _array(types.float32, 3),  # candidate_inputs: code × GRU members × h
    _array(types.int32, 1),  # answers: the last answer codes, newest first
    types.int64,  # skill
    _array(types.float32, 4),  # codes: attention member × skill × heads × code
    _array(types.float32, 4),  # recency: attention member × skill × heads × context
    _array(types.float32, 4),  # values: attention member × heads × code × (width + 1)
    _array(types.float32, 4),  # value_recency: attention member × heads × context × (width + 1)
    _array(types.float32, 3),  # value_empty: attention member × heads × (width + 1)
    _array(types.float32, 1),  # features: the 25 count features
    _array(types.float32, 2),  # asked: members × h (the asked skill's and item's part, with the bias)
    _array(types.float32, 3),  # head_weights: members × (h + features) × h
    _array(types.float32, 2),  # output_weights: members × h
)


@njit(_SIGNATURE, cache=True, nogil=True, boundscheck=False)
def answer_logit(
    hidden: np.ndarray,
    code: int,
    recurrent: np.ndarray,
    input_gates: np.ndarray,
    candidate_inputs: np.ndarray,
    answers: np.ndarray,
    skill: int,
    codes: np.ndarray,
    recency: np.ndarray,
    values: np.ndarray,
    value_recency: np.ndarray,
    value_empty: np.ndarray,
    features: np.ndarray,
    asked: np.ndarray,
    head_weights: np.ndarray,
    output_weights: np.ndarray,
) -> tuple[np.ndarray, float]:
    """The GRU members' states after answer ``code`` (``hidden`` copied when ``code`` < 0) and the head's
    logit on ``skill`` before the output bias and Best-LR: the arithmetic of ``OnlineTracer.step`` and
    ``OnlineTracer.predict`` (see there for the tables)."""
    n_grus, size = hidden.shape
    new_hidden = np.empty((n_grus, size), np.float32)
    gates = np.empty(3 * size, np.float32)
    for m in range(n_grus):
        if code < 0:
            new_hidden[m] = hidden[m]
            continue
        gates[:] = input_gates[code, m]
        for i in range(size):
            x = hidden[m, i]
            row = recurrent[m, i]
            for j in range(3 * size):
                gates[j] += x * row[j]
        candidate_input = candidate_inputs[code, m]
        for j in range(size):
            twice_reset = np.tanh(gates[j]) + _ONE
            twice_keep = np.tanh(gates[size + j]) + _ONE
            candidate = np.tanh(gates[2 * size + j] * twice_reset + candidate_input[j])
            new_hidden[m, j] = candidate + (hidden[m, j] - candidate) * twice_keep * _HALF

    n_attention, _, heads, _ = codes.shape
    members = n_grus + n_attention
    n_features = features.shape[0]
    used = answers.shape[0]
    width = size // heads
    summary = np.empty(size, np.float32)
    attended = np.empty(width + 1, np.float32)
    layer = np.empty(size, np.float32)
    logit = 0.0
    for k in range(members):
        if k < n_grus:
            summary[:] = new_hidden[k]
        else:
            a = k - n_grus
            for head in range(heads):
                attended[:] = value_empty[a, head]
                code_factors, recency_factors = codes[a, skill, head], recency[a, skill, head]
                for j in range(used):
                    answer = answers[j]
                    weight = code_factors[answer] * recency_factors[j]
                    value, value_of_recency = values[a, head, answer], value_recency[a, head, j]
                    for w in range(width + 1):
                        attended[w] += weight * (value[w] + value_of_recency[w])
                for w in range(width):
                    summary[head * width + w] = attended[w] / attended[width]
        layer[:] = asked[k]
        weights = head_weights[k]
        for i in range(size):
            x = summary[i]
            row = weights[i]
            for j in range(size):
                layer[j] += x * row[j]
        for i in range(n_features):
            x = features[i]
            row = weights[size + i]
            for j in range(size):
                layer[j] += x * row[j]
        output = output_weights[k]
        for j in range(size):
            if layer[j] > _ZERO:
                logit += float(layer[j]) * float(output[j])
    return new_hidden, logit


class CompiledAnswer:
    """:func:`answer_logit` bound to a tracer's tables: ``(hidden, code, answers, skill, features, asked)``
    in, ``(GRU states after the answer, logit)`` out.

    Parameters
    ----------
    tracer : OnlineTracer
        The tracer whose tables are used (read, not copied, except the attention members' factor tables,
        stacked into one array each).
    factors : sequence of _SoftmaxFactors
        The tracer's attention members' softmax tables, in order (none may be missing).
    """

    def __init__(self, tracer: OnlineTracer, factors: Sequence[_SoftmaxFactors]) -> None:
        heads, f32 = tracer.heads, np.float32

        def stacked(name: str, empty: tuple[int, ...]) -> np.ndarray:
            if not factors:
                return np.zeros(empty, f32)
            return np.ascontiguousarray(np.stack([getattr(member, name) for member in factors]), dtype=f32)

        self._gru = (tracer.recurrent, tracer.input_gates, tracer.candidate_inputs)
        self._attention = (
            stacked("codes", (0, 1, heads, 1)),
            stacked("recency", (0, 1, heads, 1)),
            stacked("values", (0, heads, 1, 1)),
            stacked("value_recency", (0, heads, 1, 1)),
            stacked("value_empty", (0, heads, 1)),
        )
        self._head = (tracer.head_weights, tracer.output_weights)
        # The first call of a compiled function sets things up (~0.5 ms): done here, not in a request.
        features = [0.0] * (tracer.head_weights.shape[1] - tracer.size)
        self(tracer.initial, -1, np.zeros(0, np.int32), 0, features, tracer.asked_typical[0])

    def __call__(
        self,
        hidden: np.ndarray,
        code: int,
        answers: np.ndarray,
        skill: int,
        features: Sequence[float],
        asked: np.ndarray,
    ) -> tuple[np.ndarray, float]:
        recurrent, input_gates, candidate_inputs = self._gru
        codes, recency, values, value_recency, value_empty = self._attention
        head_weights, output_weights = self._head
        return answer_logit(
            hidden, code, recurrent, input_gates, candidate_inputs, answers, skill,
            codes, recency, values, value_recency, value_empty,
            np.array(features, _F32), asked, head_weights, output_weights,
        )  # fmt: skip
