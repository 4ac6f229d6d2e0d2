"""The recurrent knowledge tracer in torch: a DKT-style GRU whose output head also reads history counts.

At answer ``t`` the GRU state summarises answers ``0..t-1`` (``(skill, correct)`` embeddings); the head
combines that state with the embedding of the skill (and item) being asked and the count features of
:func:`models.mastery.features.history_features`, which carry long histories exactly where a GRU trained
on short windows would forget. Everything the head reads at ``t`` comes from answers before ``t``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from models.mastery.features import HistoryFeatures


@dataclass(frozen=True)
class NetworkShape:
    """Sizes of the network: vocabulary sizes, feature count and hidden width."""

    n_skills: int
    n_items: int
    n_features: int
    hidden: int


class TracerNetwork(nn.Module):
    """GRU over past answers plus an MLP head over (state, asked skill/item, history counts)."""

    def __init__(self, shape: NetworkShape, dropout: float) -> None:
        super().__init__()
        hidden = shape.hidden
        self.shape = shape
        self.answer_embedding = nn.Embedding(2 * shape.n_skills, hidden)
        self.skill_embedding = nn.Embedding(shape.n_skills, hidden)
        self.item_embedding = nn.Embedding(shape.n_items, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.initial_state = nn.Parameter(torch.zeros(1, 1, hidden))
        self.dropout = nn.Dropout(dropout)
        self.hidden_layer = nn.Linear(2 * hidden + shape.n_features, hidden)
        self.output_layer = nn.Linear(hidden, 1)

    def forward(
        self, skill: torch.Tensor, item: torch.Tensor, correct: torch.Tensor, features: torch.Tensor
    ) -> torch.Tensor:
        """Logit of P(correct) for every answer of a batch of sequences (``batch × length`` tensors)."""
        batch = skill.shape[0]
        start = self.initial_state.expand(1, batch, -1).contiguous()
        states, _ = self.gru(self.answer_embedding(skill * 2 + correct), start)
        # The state before answer t is the GRU output after answer t-1 (the learned start for t = 0).
        before = torch.cat([self.initial_state.expand(batch, 1, -1), states[:, :-1]], dim=1)
        asked = self.skill_embedding(skill) + self.item_embedding(item)
        joined = torch.cat([self.dropout(before), asked, features], dim=-1)
        return self.output_layer(self.dropout(torch.relu(self.hidden_layer(joined)))).squeeze(-1)


@dataclass(frozen=True)
class Sequences:
    """Answers of the learners as padded batches: row ranges ``[start, stop)`` into the history arrays."""

    history: HistoryFeatures
    spans: list[tuple[int, int]]

    @classmethod
    def of(cls, history: HistoryFeatures, learner: np.ndarray, *, window: int | None = None) -> Sequences:
        """One span per learner (rows grouped by learner), cut into ``window``-long pieces if given."""
        bounds = np.r_[0, np.flatnonzero(learner[1:] != learner[:-1]) + 1, len(learner)]
        spans = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        if window is not None:
            spans = [(a + o, min(b, a + o + window)) for a, b in spans for o in range(0, b - a, window)]
        return cls(history=history, spans=spans)

    def batches(
        self, size: int, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[tuple[torch.Tensor, ...], torch.Tensor, np.ndarray]]:
        """Padded batches of similar-length spans: (inputs, mask, row numbers); shuffled when ``rng``."""
        lengths = np.array([b - a for a, b in self.spans])
        order = np.argsort(lengths, kind="stable")
        groups = [order[i : i + size] for i in range(0, len(order), size)]
        if rng is not None:
            rng.shuffle(groups)
        history = self.history
        items = history.item if history.item is not None else np.full(len(history.skill), 0)
        for group in groups:
            rows_per_span = [np.arange(*self.spans[i]) for i in group]
            longest = max(len(rows) for rows in rows_per_span)
            index = np.zeros((len(group), longest), dtype=np.int64)
            mask = np.zeros((len(group), longest), dtype=bool)
            for position, rows in enumerate(rows_per_span):
                index[position, : len(rows)] = rows
                mask[position, : len(rows)] = True
            inputs = (
                torch.from_numpy(history.skill[index]),
                torch.from_numpy(items[index]),
                torch.from_numpy(history.correct[index].astype(np.int64) * mask),
                torch.from_numpy(history.numeric[index].astype(np.float32)),
            )
            yield inputs, torch.from_numpy(mask), np.concatenate(rows_per_span)


def predict_logits(network: Network, sequences: Batched, batch_size: int = 256) -> np.ndarray:
    """Logit of P(correct) of every row of ``sequences.history``, each from the answers before it."""
    network.eval()
    result = np.zeros(len(sequences.history.skill))
    with torch.no_grad():
        for inputs, mask, rows in sequences.batches(batch_size):
            result[rows] = network(*inputs)[mask].double().numpy()
    return result


def predict(network: Network, sequences: Batched, batch_size: int = 256) -> np.ndarray:
    """P(correct) of every row of ``sequences.history``, each from the answers before it."""
    return 1.0 / (1.0 + np.exp(-predict_logits(network, sequences, batch_size)))


def train_network(
    network: Network,
    train: Batched,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    learning_rate_decay: float,
    seed: int,
    score: Callable[[Network], float] | None,
    patience: int,
    progress: Callable[[str], None],
) -> tuple[int, float]:
    """Fit with Adam on binary cross-entropy; keep the weights of the epoch with the best ``score``.

    The learning rate is multiplied by ``learning_rate_decay`` after each epoch. Without ``score``
    (a refit whose epoch count was chosen before) it runs exactly ``epochs`` epochs and keeps the last.

    Returns
    -------
    best_epoch : int
        1-based epoch whose weights the network holds on return.
    best_score : float
        Its score (validation AUC in :func:`models.mastery.model.fit_mastery`).
    """
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=learning_rate_decay)
    best_epoch, best_score, best_weights = 0, -np.inf, None
    for epoch in range(1, epochs + 1):
        started = time.monotonic()
        network.train()
        for inputs, mask, _ in train.batches(batch_size, rng):
            logits = network(*inputs)
            loss = nn.functional.binary_cross_entropy_with_logits(logits[mask], inputs[2][mask].float())
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimiser.step()
        schedule.step()
        if score is None:
            progress(f"epoch {epoch} of {epochs} ({time.monotonic() - started:.0f}s)")
            best_epoch, best_score, best_weights = epoch, float("nan"), None
            continue
        current = score(network)
        progress(f"epoch {epoch}: validation AUC {current:.4f} ({time.monotonic() - started:.0f}s)")
        if current > best_score:
            best_epoch, best_score = epoch, current
            best_weights = {k: v.detach().clone() for k, v in network.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    if best_weights is not None:
        network.load_state_dict(best_weights)
    return best_epoch, float(best_score)


class AttentionNetwork(nn.Module):
    """Attention over the learner's last ``context`` answers plus the same MLP head as :class:`TracerNetwork`.

    A second family for the ensemble (SAKT-like): the asked skill's query attends over the embeddings of
    the last answers ``(skill, correct)``, each plus an embedding of how many answers ago it was, and a
    learned empty slot (so a learner without history still gets an answer). Keys and values are plain
    embedding lookups (no projections), so one prediction online is a few small dot products.
    """

    def __init__(self, shape: NetworkShape, dropout: float, context: int, heads: int) -> None:
        super().__init__()
        hidden = shape.hidden
        self.shape, self.context, self.heads = shape, context, heads
        self.key_embedding = nn.Embedding(2 * shape.n_skills, hidden)
        self.value_embedding = nn.Embedding(2 * shape.n_skills, hidden)
        self.query_embedding = nn.Embedding(shape.n_skills, hidden)
        self.key_recency = nn.Parameter(torch.randn(context, hidden) * 0.1)
        self.value_recency = nn.Parameter(torch.randn(context, hidden) * 0.1)
        self.key_empty = nn.Parameter(torch.randn(1, hidden) * 0.1)
        self.value_empty = nn.Parameter(torch.zeros(1, hidden))
        self.skill_embedding = nn.Embedding(shape.n_skills, hidden)
        self.item_embedding = nn.Embedding(shape.n_items, hidden)
        self.dropout = nn.Dropout(dropout)
        self.hidden_layer = nn.Linear(2 * hidden + shape.n_features, hidden)
        self.output_layer = nn.Linear(hidden, 1)

    def forward(
        self,
        skill: torch.Tensor,
        item: torch.Tensor,
        correct: torch.Tensor,
        features: torch.Tensor,
        answers: torch.Tensor,
        present: torch.Tensor,
    ) -> torch.Tensor:
        """Logit of P(correct) per answer; ``answers``/``present`` are the ``batch × context`` earlier
        answer codes (``2·skill + correct``, most recent first) and whether each exists."""
        batch, hidden, heads = skill.shape[0], self.shape.hidden, self.heads
        width = hidden // heads
        codes = self.key_embedding.weight.shape[0]
        query = self.query_embedding(skill).view(batch, heads, width)
        # A key is the answer's embedding plus its recency's, so a score is the query against each
        # answer code plus the query against each recency: no batch × context × hidden tensor is built.
        by_code = torch.einsum("bhw,chw->bhc", query, self.key_embedding.weight.view(codes, heads, width))
        content = torch.gather(by_code, 2, answers[:, None, :].expand(batch, heads, answers.shape[1]))
        recency = torch.einsum("bhw,nhw->bhn", query, self.key_recency.view(-1, heads, width))
        empty = torch.einsum("bhw,hw->bh", query, self.key_empty.view(heads, width))[:, :, None]
        scores = torch.cat([empty, (content + recency).masked_fill(~present[:, None, :], float("-inf"))], 2)
        weights = torch.softmax(scores / width**0.5, dim=-1)
        # Values likewise: the weights summed per answer code times the code's value, plus recency's.
        per_code = torch.zeros(batch, heads, codes).scatter_add_(
            2, answers[:, None, :].expand(batch, heads, answers.shape[1]), weights[:, :, 1:]
        )
        attended = (
            torch.einsum("bhc,chw->bhw", per_code, self.value_embedding.weight.view(codes, heads, width))
            + torch.einsum("bhn,nhw->bhw", weights[:, :, 1:], self.value_recency.view(-1, heads, width))
            + weights[:, :, :1] * self.value_empty.view(1, heads, width)
        )
        asked = self.skill_embedding(skill) + self.item_embedding(item)
        joined = torch.cat([self.dropout(attended.reshape(batch, hidden)), asked, features], dim=-1)
        return self.output_layer(self.dropout(torch.relu(self.hidden_layer(joined)))).squeeze(-1)


@dataclass(frozen=True)
class ContextAnswers:
    """Answers as independent examples, each with its learner's last ``context`` answers before it."""

    history: HistoryFeatures
    position: np.ndarray
    context: int

    @classmethod
    def of(cls, history: HistoryFeatures, learner: np.ndarray, *, context: int) -> ContextAnswers:
        """Rows grouped by learner in answer order; ``position`` is each row's index within its learner."""
        starts = np.r_[0, np.flatnonzero(learner[1:] != learner[:-1]) + 1]
        first = np.zeros(len(learner), dtype=np.int64)
        first[starts] = starts
        first = np.maximum.accumulate(first)
        return cls(history=history, position=np.arange(len(learner)) - first, context=context)

    def batches(
        self, size: int, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[tuple[torch.Tensor, ...], torch.Tensor, np.ndarray]]:
        """Batches of rows (shuffled when ``rng``): (inputs, mask, row numbers), mask all true."""
        history = self.history
        n = len(history.skill)
        order = rng.permutation(n) if rng is not None else np.arange(n)
        items = history.item if history.item is not None else np.zeros(n, dtype=np.int64)
        codes = history.skill * 2 + history.correct.astype(np.int64)
        back = np.arange(1, self.context + 1)
        for start in range(0, n, size):
            rows = order[start : start + size]
            present = self.position[rows][:, None] >= back
            earlier = np.where(present, rows[:, None] - back, 0)
            inputs = (
                torch.from_numpy(history.skill[rows]),
                torch.from_numpy(items[rows]),
                torch.from_numpy(history.correct[rows].astype(np.int64)),
                torch.from_numpy(history.numeric[rows].astype(np.float32)),
                torch.from_numpy(codes[earlier] * present),
                torch.from_numpy(present),
            )
            yield inputs, torch.ones(len(rows), dtype=torch.bool), rows


Network = TracerNetwork | AttentionNetwork
Batched = Sequences | ContextAnswers
