"""What a course's embedding is made of: the text its catalogue page shows a learner.

The page shows the title, the subject, the level and the description, so those are embedded, title first.
Skills are left out on purpose: they are a curated taxonomy that a course may not have yet, and the search
evaluation hides them to measure what the words of the page alone find.

The model reads at most 256 word pieces and many catalogue descriptions are longer, so a page is cut into
windows that each fit (:func:`windows`), every window is encoded, and the course's vector is their mean
weighted by words (:func:`pool_windows`): the end of a long description counts as much per word as its start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Part of every content hash: changing how a page becomes a vector re-encodes the stored embeddings once.
DOCUMENT_SCHEME = "word-windows-v1"


@dataclass(frozen=True)
class CourseText:
    """The visible text of one course."""

    title: str
    subject: str | None = None
    level: str | None = None
    description: str | None = None


def course_document(course: CourseText) -> str:
    """The text embedded for ``course``: ``"title. subject, level. description"`` with empty parts left out.

    Examples
    --------
    >>> course_document(CourseText("SQL basics", "Data", "beginner", "Select rows."))
    'SQL basics. Data, beginner. Select rows.'
    """
    facets = ", ".join(part.strip() for part in (course.subject, course.level) if part and part.strip())
    parts = [course.title.strip(), facets, (course.description or "").strip()]
    return ". ".join(part.rstrip(".") for part in parts if part) + "."


def windows(document: str, pieces: Callable[[str], int], limit: int) -> list[str]:
    """``document`` cut at word boundaries into consecutive windows of at most ``limit`` word pieces.

    Parameters
    ----------
    document
        The text; words are what :meth:`str.split` separates.
    pieces
        The number of word pieces the model's tokenizer makes of one word.
    limit
        Word pieces a window may hold (the model's sequence length less its special tokens).

    Returns
    -------
    list[str]
        ``[document]`` itself when it fits; otherwise windows of whole words joined by single spaces,
        which together hold every word once, in order. A word longer than ``limit`` on its own is a window
        of its own (the model truncates it). An empty document is one empty window.

    Examples
    --------
    >>> windows("one two three four five", lambda word: 2, limit=4)
    ['one two', 'three four', 'five']
    >>> windows("fits as it is", lambda word: 1, limit=4)
    ['fits as it is']
    """
    words = document.split()
    counts = [pieces(word) for word in words]
    if sum(counts) <= limit:
        return [document]
    result: list[str] = []
    current: list[str] = []
    used = 0
    for word, count in zip(words, counts, strict=True):
        if current and used + count > limit:
            result.append(" ".join(current))
            current, used = [], 0
        current.append(word)
        used += count
    result.append(" ".join(current))
    return result


def pool_windows(vectors: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """One unit vector from a page's window vectors: their ``weights``-weighted mean, renormalised.

    Parameters
    ----------
    vectors
        Shape ``(windows, dimensions)``, one unit vector per window.
    weights
        One non-negative weight per window (its word count), not all zero.

    Returns
    -------
    numpy.ndarray
        Shape ``(dimensions,)``, float32, unit length; a single window's vector unchanged.

    Examples
    --------
    >>> [round(float(x), 4) for x in pool_windows(np.array([[1.0, 0.0], [0.0, 1.0]]), [3, 1])]
    [0.9487, 0.3162]
    """
    weight = np.asarray(weights, dtype=np.float64)
    if weight.shape != (len(vectors),) or weight.sum() <= 0:
        raise ValueError(f"{len(weight)} weights (sum {weight.sum()}) for {len(vectors)} windows")
    mean = weight @ np.asarray(vectors, dtype=np.float64) / weight.sum()
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def content_hash(document: str, model_name: str) -> str:
    """Changes whenever the text, the model or :data:`DOCUMENT_SCHEME` changes: the embedding asset
    re-encodes exactly those."""
    return hashlib.sha256(f"{model_name}\n{DOCUMENT_SCHEME}\n{document}".encode()).hexdigest()[:32]
