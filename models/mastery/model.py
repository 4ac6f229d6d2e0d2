"""The skill-mastery model: fit on responses, predict each answer from earlier ones, mastery per skill.

:class:`MasteryModel` holds the fitted networks' weights as numpy arrays. Offline prediction over many
learners runs the torch networks (:meth:`MasteryModel.predict_responses`); online, a learner's
:class:`LearnerState` (the GRU states, the last answers for attention networks, running counts) is
advanced one answer at a time in numpy (:meth:`MasteryModel.update`, the float64 reference), and
:meth:`MasteryModel.mastery` reads P(correct), a 1-10 level and its standard error for every skill from
that state. Serving's per-answer path is :meth:`MasteryModel.online` (:mod:`models.mastery.online`): the
same computation in float32 with the weights arranged once, ~0.1 ms per answer for the shipped ensemble.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.mastery.features import (
    HistoryFeatures,
    LearnerHistory,
    Vocabulary,
    build_vocabulary,
    history_features,
    learner_split,
    prepare_responses,
)

if TYPE_CHECKING:
    from models.mastery.network import AttentionNetwork, TracerNetwork
    from models.mastery.online import OnlineState, OnlineTracer

GRU, ATTENTION = "gru", "attention"


def family_of(weights: dict[str, np.ndarray]) -> str:
    """Which network family a weight set belongs to (the attention family has no GRU)."""
    return ATTENTION if "key_empty" in weights else GRU


# The profile's scale (app_api.users.models.LearnerSkillLevel) and the map the diagnostics use
# (app_api.assessments.irt): level = 5.5 + 1.5·θ on θ ∈ [-3, 3], its standard error × 1.5 capped at 9.
# Here θ is the logit of P(correct) on the skill's typical item.
LEVEL_MIN, LEVEL_MAX, THETA_LIMIT = 1.0, 10.0, 3.0
LEVELS_PER_THETA = (LEVEL_MAX - LEVEL_MIN) / (2 * THETA_LIMIT)
# Answers' worth of evidence the model's prediction counts as before the learner answered the skill.
PRIOR_ANSWERS = 2.0


@dataclass(frozen=True)
class MasteryParams:
    """Hyper-parameters. Validated on held-out *training* learners only; none depends on one data set.

    The defaults had the best validation AUC among the configurations of ``docs/mastery.md`` (64-128
    units, dropout 0.2-0.3, decay 0.7-0.8, windows of 100 or 200 answers).

    ``window`` cuts training sequences into pieces so that batches are short (CPU time); prediction
    runs over whole sequences. ``epochs`` is a ceiling: the epoch with the best validation AUC is kept.
    ``members`` networks (seeds ``seed``, ``seed + 1``, …) are fitted by
    :func:`models.mastery.ensemble.fit_ensemble`, which chooses on held-out training learners how many
    of them to keep and whether to blend in Best-LR; with ``refit`` it then fits the chosen members again
    on every training learner with the epoch counts found (off by default: on ASSISTments 2015 it doubled
    the CPU time, past the 10-minute budget, for no measurable gain; see ``docs/mastery.md``).
    ``attention_members`` attention networks (a second family, for diversity) look at the last
    ``context`` answers with ``heads`` heads and train on batches of ``attention_batch`` answers.
    """

    hidden: int = 96
    dropout: float = 0.2
    epochs: int = 16
    patience: int = 2
    batch_size: int = 128
    window: int = 100
    learning_rate: float = 3e-3
    learning_rate_decay: float = 0.8
    validation_share: float = 0.1
    seed: int = 0
    members: int = 3
    refit: bool = False
    attention_members: int = 1
    context: int = 50
    heads: int = 4
    attention_batch: int = 1024


DEFAULT_PARAMS = MasteryParams()


@dataclass
class LearnerState:
    """What the model keeps about one learner between answers."""

    hidden: np.ndarray
    history: LearnerHistory
    # The last answers as codes 2·skill + correct, oldest first (only when the ensemble has attention).
    answers: tuple[int, ...] = ()


@dataclass(frozen=True)
class SkillMastery:
    """Mastery of one skill: P(correct) next, the profile's 1-10 level and that level's standard error."""

    skill_id: str
    probability: float
    level: float
    standard_error: float
    answers: int


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


# eq=False: the generated __eq__ would compare numpy arrays element-wise.
@dataclass(eq=False)
class MasteryModel:
    """Fitted knowledge tracer: vocabulary, hyper-parameters and the networks' weights as numpy arrays.

    It may be an ensemble: ``networks`` holds one or more tracers of the same width — GRU networks first,
    then attention networks (:func:`family_of` tells them apart) — ``linear`` an optional Best-LR
    (:class:`models.mastery.baselines.WindowedLogistic`) as coefficients, and ``blend`` how they
    combine: ``logit P = blend[0] · mean(network logits) + blend[1] · Best-LR logit + blend[2]``, where
    the mean becomes ``Σ network_weights[k] · logit_k`` when ``network_weights`` is set (families
    weighed apart). A single network is ``blend = (1, 0, 0)`` without ``linear``. Everything it reads
    is a learner's earlier answers, so the whole ensemble updates online in numpy.
    """

    vocabulary: Vocabulary
    params: MasteryParams
    networks: list[dict[str, np.ndarray]]
    n_features: int
    validation_auc: float = float("nan")
    best_epoch: int = 0
    linear: dict[str, np.ndarray] | None = None
    blend: tuple[float, float, float] = (1.0, 0.0, 0.0)
    # Weight of each network's logit in place of their plain mean (empty: the mean).
    network_weights: tuple[float, ...] = ()
    # The per-answer path, arranged on first use; not an init field, so ``replace`` arranges its own.
    _online: OnlineTracer | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.network_weights and len(self.network_weights) != len(self.networks):
            raise ValueError(f"{len(self.network_weights)} network weights for {len(self.networks)} networks")

    @property
    def weights(self) -> dict[str, np.ndarray]:
        """The first network's weights."""
        return self.networks[0]

    def network(self, member: int = 0) -> TracerNetwork | AttentionNetwork:
        """The torch network ``member`` with its weights, in evaluation mode."""
        import torch

        from models.mastery.network import AttentionNetwork, NetworkShape, TracerNetwork

        shape = NetworkShape(
            self.vocabulary.n_skills, self.vocabulary.n_items, self.n_features, self.params.hidden
        )
        network: TracerNetwork | AttentionNetwork
        if family_of(self.networks[member]) == ATTENTION:
            network = AttentionNetwork(shape, self.params.dropout, self.params.context, self.params.heads)
        else:
            network = TracerNetwork(shape, self.params.dropout)
        network.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.networks[member].items()})
        return network.eval()

    def linear_logit(self, skills: np.ndarray, numeric: np.ndarray) -> np.ndarray:
        """Best-LR's logit: per-skill easiness and weights on the skill's log counts, plus the features."""
        if self.linear is None:
            return np.zeros(len(skills))
        coef, n = self.linear["coef"], self.vocabulary.n_skills
        success = numeric[:, int(self.linear["success_column"])]
        failure = numeric[:, int(self.linear["failure_column"])]
        return (
            coef[skills]
            + coef[n + skills] * success
            + coef[2 * n + skills] * failure
            + numeric @ coef[3 * n :]
            + float(self.linear["intercept"])
        )

    def _combine(self, network_logits: np.ndarray, skills: np.ndarray, numeric: np.ndarray) -> np.ndarray:
        """P(correct) from the networks' logits (``members × answers``) and Best-LR."""
        if self.network_weights:
            mean = np.asarray(self.network_weights) @ network_logits
        else:
            mean = network_logits.mean(axis=0)
        if self.blend == (1.0, 0.0, 0.0) and self.linear is None:
            return _sigmoid(mean)
        logit = self.blend[0] * mean + self.blend[1] * self.linear_logit(skills, numeric) + self.blend[2]
        return _sigmoid(logit)

    def predict_responses(self, responses: pd.DataFrame) -> np.ndarray:
        """P(correct) of every answer from the same learner's earlier answers (predict, then update).

        Parameters
        ----------
        responses : pandas.DataFrame
            Long-format responses (see :func:`models.mastery.features.prepare_responses`).

        Returns
        -------
        numpy.ndarray
            One probability per row of ``prepare_responses(responses)`` (rows ordered by learner, seq).
        """
        from models.mastery.network import ContextAnswers, Sequences, predict_logits

        prepared = prepare_responses(responses)
        history = history_features(prepared, self.vocabulary)
        learner = pd.factorize(prepared["learner_id"])[0]
        data: dict[str, Sequences | ContextAnswers] = {
            GRU: Sequences.of(history, learner),
            ATTENTION: ContextAnswers.of(history, learner, context=self.params.context),
        }
        with _single_thread():
            logits = np.stack(
                [predict_logits(self.network(k), data[family_of(w)]) for k, w in enumerate(self.networks)]
            )
        return self._combine(logits, history.skill, history.numeric)

    # --- online: one learner, one answer at a time, numpy only ---------------------------------------
    #
    # new_state / update / predict_next / mastery below are the reference, in float64 and written as the
    # torch networks read; serving uses online(), the same computation arranged for one answer's cost.

    def online(self) -> OnlineTracer:
        """The per-answer path (:class:`models.mastery.online.OnlineTracer`), its weights arranged once."""
        if self._online is None:
            from models.mastery.online import OnlineTracer

            self._online = OnlineTracer(self)
        return self._online

    def answer(self, state: OnlineState, skill_id: str, correct: bool) -> tuple[OnlineState, float]:
        """The learner after one answer and P(correct) of their next answer on the same skill, in one pass
        of :meth:`online` (``state`` from ``online().new_state()``; it is left unchanged)."""
        return self.online().answer(state, self.vocabulary.skill_code(skill_id), correct)

    def new_state(self) -> LearnerState:
        """The state of a learner with no answers (the GRU networks' vectors, end to end; no answers)."""
        grus = [w for w in self.networks if family_of(w) == GRU]
        return LearnerState(
            hidden=np.concatenate([w["initial_state"].reshape(-1).astype(np.float64) for w in grus])
            if grus
            else np.zeros(0),
            history=LearnerHistory(self.vocabulary.n_skills),
        )

    def _attended(self, w: dict[str, np.ndarray], skills: np.ndarray, answers: tuple[int, ...]) -> np.ndarray:
        """The attention network's summary of the last answers for a query on each of ``skills``."""
        size, heads = self.params.hidden, self.params.heads
        width = size // heads
        codes = np.asarray(answers[::-1][: self.params.context], dtype=np.int64)
        recent = len(codes)
        keys = np.concatenate([w["key_empty"], w["key_embedding.weight"][codes] + w["key_recency"][:recent]])
        values = np.concatenate(
            [w["value_empty"], w["value_embedding.weight"][codes] + w["value_recency"][:recent]]
        )
        # Per head: (skills × width) @ (width × answers), then the weights @ (answers × width).
        query = w["query_embedding.weight"][skills].reshape(len(skills), heads, width).transpose(1, 0, 2)
        scores = query @ keys.reshape(-1, heads, width).transpose(1, 2, 0) / np.sqrt(width)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        attended = scores @ values.reshape(-1, heads, width).transpose(1, 0, 2)
        return attended.transpose(1, 0, 2).reshape(len(skills), size)

    def _head(
        self, state: LearnerState, skills: np.ndarray, items: np.ndarray, features: np.ndarray
    ) -> np.ndarray:
        size = self.params.hidden
        logits, gru = [], 0
        for w in self.networks:
            if family_of(w) == GRU:
                summary = np.broadcast_to(state.hidden[gru * size : (gru + 1) * size], (len(skills), size))
                gru += 1
            else:
                summary = self._attended(w, skills, state.answers)
            asked = w["skill_embedding.weight"][skills] + w["item_embedding.weight"][items]
            joined = np.concatenate([summary, asked, features], axis=1)
            layer = np.maximum(joined @ w["hidden_layer.weight"].T + w["hidden_layer.bias"], 0.0)
            logits.append((layer @ w["output_layer.weight"].T + w["output_layer.bias"]).reshape(-1))
        return self._combine(np.stack(logits), skills, features)

    def predict_next(self, state: LearnerState, skill_id: str, item_id: str | None = None) -> float:
        """P(correct) of the learner's next answer on ``skill_id`` (and ``item_id`` when items are known)."""
        skill = self.vocabulary.skill_code(skill_id)
        item = self.vocabulary.item_code(item_id)
        features = state.history.features(np.array([skill]))
        return float(self._head(state, np.array([skill]), np.array([item]), features)[0])

    def update(self, state: LearnerState, skill_id: str, correct: bool) -> LearnerState:
        """The state after one more answer (a GRU step per GRU network, the last answers for the attention
        networks, and the counts); ``state`` is unchanged."""
        skill = self.vocabulary.skill_code(skill_id)
        size = self.params.hidden
        hidden, gru = [], 0
        for w in self.networks:
            if family_of(w) != GRU:
                continue
            x = w["answer_embedding.weight"][2 * skill + int(correct)]
            h = state.hidden[gru * size : (gru + 1) * size]
            gru += 1
            gates_x = w["gru.weight_ih_l0"] @ x + w["gru.bias_ih_l0"]
            gates_h = w["gru.weight_hh_l0"] @ h + w["gru.bias_hh_l0"]
            reset = _sigmoid(gates_x[:size] + gates_h[:size])
            keep = _sigmoid(gates_x[size : 2 * size] + gates_h[size : 2 * size])
            candidate = np.tanh(gates_x[2 * size :] + reset * gates_h[2 * size :])
            hidden.append((1.0 - keep) * candidate + keep * h)
        kept = self.params.context if any(family_of(w) == ATTENTION for w in self.networks) else 0
        answers = (*state.answers, 2 * skill + int(correct))[-kept:] if kept else ()
        return LearnerState(
            hidden=np.concatenate(hidden) if hidden else np.zeros(0),
            history=state.history.after(skill, bool(correct)),
            answers=answers,
        )

    def mastery(self, state: LearnerState) -> list[SkillMastery]:
        """Mastery of every training skill for a learner in ``state``.

        The probability is the model's P(correct) on the skill next, on its typical item. Its level is
        ``5.5 + 1.5·logit(p)`` clipped to 1-10, as for diagnostics. The standard error treats the
        learner's answers on the skill plus :data:`PRIOR_ANSWERS` as Bernoulli evidence about that
        logit (``1 / sqrt(n·p·(1-p))``), so it shrinks as the learner practises the skill.
        """
        skills = np.arange(len(self.vocabulary.skill_ids))
        items = np.full(len(skills), self.vocabulary.n_items - 1)
        probability = self._head(state, skills, items, state.history.features(skills))
        answers = state.history.attempts(skills)
        theta = np.clip(np.log(probability / (1.0 - probability)), -THETA_LIMIT, THETA_LIMIT)
        theta_error = 1.0 / np.sqrt((answers + PRIOR_ANSWERS) * probability * (1.0 - probability))
        level = LEVEL_MIN + (theta + THETA_LIMIT) * LEVELS_PER_THETA
        error = np.minimum(theta_error * LEVELS_PER_THETA, LEVEL_MAX - LEVEL_MIN)
        return [
            SkillMastery(str(skill_id), float(p), float(lv), float(se), int(n))
            for skill_id, p, lv, se, n in zip(
                self.vocabulary.skill_ids, probability, level, error, answers, strict=True
            )
        ]

    # --- persistence -------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the model to one ``.npz`` file at exactly ``path`` (no pickled objects)."""
        arrays: dict[str, np.ndarray] = {
            "skill_ids": self.vocabulary.skill_ids.astype(str),
            "item_ids": self.vocabulary.item_ids.astype(str),
            "n_features": np.asarray(self.n_features),
            "validation_auc": np.asarray(self.validation_auc),
            "best_epoch": np.asarray(self.best_epoch),
            **{f"param_{k}": np.asarray(v) for k, v in asdict(self.params).items()},
            **{f"weight_{k}": v for k, v in self.networks[0].items()},
            **{f"net{n}_{k}": v for n, w in enumerate(self.networks[1:], 1) for k, v in w.items()},
            "blend": np.asarray(self.blend, dtype=np.float64),
            "network_weights": np.asarray(self.network_weights, dtype=np.float64),
            **{f"linear_{k}": v for k, v in (self.linear or {}).items()},
        }
        with Path(path).open("wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path) -> MasteryModel:
        """Read a model written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as arrays:
            # Files of single-network versions lack the ensemble's parameters: they take the defaults.
            params = MasteryParams(
                **{
                    name: type(default)(arrays[f"param_{name}"].item())
                    for name, default in asdict(DEFAULT_PARAMS).items()
                    if f"param_{name}" in arrays.files
                }
            )
            networks = [{k[len("weight_") :]: arrays[k] for k in arrays.files if k.startswith("weight_")}]
            while any(k.startswith(f"net{len(networks)}_") for k in arrays.files):
                prefix = f"net{len(networks)}_"
                networks.append({k[len(prefix) :]: arrays[k] for k in arrays.files if k.startswith(prefix)})
            linear = {k[len("linear_") :]: arrays[k] for k in arrays.files if k.startswith("linear_")}
            blend = arrays["blend"].tolist() if "blend" in arrays.files else [1.0, 0.0, 0.0]
            network_weights = arrays["network_weights"].tolist() if "network_weights" in arrays.files else []
            return cls(
                vocabulary=Vocabulary(skill_ids=arrays["skill_ids"], item_ids=arrays["item_ids"]),
                params=params,
                networks=networks,
                n_features=int(arrays["n_features"]),
                validation_auc=float(arrays["validation_auc"]),
                best_epoch=int(arrays["best_epoch"]),
                linear=linear or None,
                blend=(float(blend[0]), float(blend[1]), float(blend[2])),
                network_weights=tuple(float(v) for v in network_weights),
            )


class _single_thread:
    """One torch thread while inside: results do not depend on thread scheduling, and on a shared
    machine two spinning threads measured ~20× slower than one for these small matrices."""

    def __enter__(self) -> None:
        import torch

        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self._threads)


def fit_mastery(
    responses: pd.DataFrame,
    params: MasteryParams = DEFAULT_PARAMS,
    *,
    progress: Callable[[str], None] = lambda message: None,
    split_seed: int | None = None,
    refit_epochs: int | None = None,
    family: str = GRU,
) -> MasteryModel:
    """Fit the knowledge tracer, choosing the number of epochs on held-out training learners.

    Parameters
    ----------
    responses : pandas.DataFrame
        Long-format training responses; ``params.validation_share`` of its learners are held out to
        pick the epoch and never trained on.
    params : MasteryParams
        Hyper-parameters; a fixed ``seed`` makes the fit reproducible.
    progress : callable, optional
        Receives one line per epoch.
    split_seed : int, optional
        Seed of the validation split when it must differ from ``params.seed`` (an ensemble's members
        share one split and differ in their initialisation); ``params.seed`` when omitted.
    refit_epochs : int, optional
        Fit on *every* learner of ``responses`` for exactly this many epochs (an epoch count chosen
        before on held-out learners): nothing is held out, and ``validation_auc`` is NaN.
    family : str
        ``"gru"`` (:class:`~models.mastery.network.TracerNetwork`) or ``"attention"``
        (:class:`~models.mastery.network.AttentionNetwork` over the last ``params.context`` answers).

    Returns
    -------
    MasteryModel
    """
    import torch
    from sklearn.metrics import roc_auc_score

    from models.mastery.network import (
        AttentionNetwork,
        ContextAnswers,
        NetworkShape,
        Sequences,
        TracerNetwork,
        predict,
        train_network,
    )

    prepared = prepare_responses(responses)
    fitting, validation = learner_split(
        prepared,
        validation_share=0.0 if refit_epochs is not None else params.validation_share,
        seed=params.seed if split_seed is None else split_seed,
    )
    vocabulary = build_vocabulary(fitting)

    def sequences(frame: pd.DataFrame, window: int | None) -> Sequences | ContextAnswers:
        history: HistoryFeatures = history_features(frame, vocabulary)
        learner = pd.factorize(frame["learner_id"])[0]
        if family == ATTENTION:
            return ContextAnswers.of(history, learner, context=params.context)
        return Sequences.of(history, learner, window=window)

    train_sequences = sequences(fitting, params.window)
    validation_sequences = sequences(validation, None) if refit_epochs is None else None

    def score(net: TracerNetwork | AttentionNetwork) -> float:
        assert validation_sequences is not None
        return float(roc_auc_score(validation_sequences.history.correct, predict(net, validation_sequences)))

    n_features = train_sequences.history.numeric.shape[1]
    with _single_thread():
        torch.manual_seed(params.seed)
        shape = NetworkShape(vocabulary.n_skills, vocabulary.n_items, n_features, params.hidden)
        network: TracerNetwork | AttentionNetwork
        if family == ATTENTION:
            network = AttentionNetwork(shape, params.dropout, params.context, params.heads)
        else:
            network = TracerNetwork(shape, params.dropout)
        best_epoch, best_auc = train_network(
            network,
            train_sequences,
            epochs=params.epochs if refit_epochs is None else refit_epochs,
            batch_size=params.attention_batch if family == ATTENTION else params.batch_size,
            learning_rate=params.learning_rate,
            learning_rate_decay=params.learning_rate_decay,
            seed=params.seed,
            score=score if refit_epochs is None else None,
            patience=params.patience,
            progress=progress,
        )
    weights = {k: v.detach().numpy().copy() for k, v in network.state_dict().items()}
    return MasteryModel(
        vocabulary=vocabulary,
        params=params,
        networks=[weights],
        n_features=n_features,
        validation_auc=best_auc,
        best_epoch=best_epoch,
    )


os.environ.setdefault("OMP_NUM_THREADS", "1")
