"""Reciprocal rank fusion and exact nearest neighbours: the pure parts of hybrid search."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)

# Cormack, Clarke & Büttcher (SIGIR 2009): k = 60 damps the head so that one list's first place cannot
# outvote an item both lists rank well. The value comes from that paper, not from any catalogue here.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Key]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[Key, float]]:
    """Fuse ranked lists: each item scores ``sum(weight / (k + rank))`` over the lists it is in (rank from 1).

    Parameters
    ----------
    rankings
        Ranked lists of item keys, best first; an item may be missing from some lists.
    k
        The damping constant.
    weights
        One per list (weighted RRF); all 1 when omitted.

    Returns
    -------
    list of (key, score)
        Best first; ties keep the order in which the items were first seen.

    Examples
    --------
    >>> [key for key, _ in reciprocal_rank_fusion([["a", "b", "c"], ["b", "c"]])]
    ['b', 'c', 'a']
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def nearest(matrix: np.ndarray, query: np.ndarray, *, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` rows of ``matrix`` (unit rows) by cosine similarity to the unit vector ``query``.

    Returns
    -------
    (indices, similarities)
        Best first, at most ``k`` of each.
    """
    if len(matrix) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    similarities = matrix @ query
    k = min(k, len(similarities))
    top = np.argpartition(-similarities, k - 1)[:k]
    order = top[np.argsort(-similarities[top], kind="stable")]
    return order, similarities[order]


def rocchio(query: np.ndarray, feedback: np.ndarray, *, beta: float) -> np.ndarray:
    """Pseudo-relevance feedback on embeddings: the unit vector of ``query + beta * mean(feedback rows)``.

    The rows are the first results of a search with ``query`` (Rocchio 1971, without negative feedback):
    moving the query toward what it found pulls in courses like its best matches that its own words
    missed. With no feedback row the query comes back unchanged.

    Examples
    --------
    >>> rocchio(np.array([1.0, 0.0], dtype=np.float32), np.array([[0.0, 1.0]], dtype=np.float32), beta=1.0)
    array([0.70710677, 0.70710677], dtype=float32)
    """
    if len(feedback) == 0:
        return query
    moved = query.astype(np.float32) + np.float32(beta) * feedback.astype(np.float32).mean(axis=0)
    return (moved / np.linalg.norm(moved)).astype(np.float32)
