"""A course page as the model reads it: windows that fit, pooled by words, a hash that follows the scheme."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from models.search import documents
from models.search.documents import content_hash, pool_windows, windows

# Word pieces by word length, as a subword tokenizer cuts long words into more pieces.
PIECES = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3, 8: 4}


def pieces(word: str) -> int:
    return PIECES.get(len(word), 5)


LONG = " ".join(
    ["intro", "to", "statistics", "with", "python", "and", "sql", "for", "data", "a", "b", "pipelines"] * 9
)


@pytest.mark.parametrize("limit", [5, 8, 13, 40])
def test_windows_fit_the_limit_and_hold_every_word_once_in_order(limit: int) -> None:
    parts = windows(LONG, pieces, limit)
    assert len(parts) > 1
    assert all(sum(pieces(word) for word in part.split()) <= limit for part in parts)
    assert " ".join(parts).split() == LONG.split()
    # Greedy: a window ends only where its next word would not fit.
    for part, following in zip(parts, parts[1:], strict=False):
        assert sum(pieces(word) for word in part.split()) + pieces(following.split()[0]) > limit


def test_a_document_that_fits_is_one_window_as_it_is() -> None:
    document = "SQL basics.  Data, beginner.\nSelect rows."
    assert windows(document, pieces, limit=sum(pieces(word) for word in document.split())) == [document]
    assert windows("", pieces, limit=5) == [""]


def test_a_word_longer_than_the_limit_is_a_window_of_its_own() -> None:
    assert windows("a incomprehensibilities b", pieces, limit=3) == ["a", "incomprehensibilities", "b"]


def test_pooling_weighs_windows_by_their_words_and_returns_a_unit_vector() -> None:
    vectors = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    pooled = pool_windows(vectors, [2, 1, 1])
    assert pooled.dtype == np.float32 and np.linalg.norm(pooled) == pytest.approx(1.0)
    assert pooled.tolist() == pytest.approx((np.array([2.0, 1.0, 1.0]) / np.sqrt(6.0)).tolist())
    assert pool_windows(vectors[:1], [7]).tolist() == pytest.approx([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="2 weights"):
        pool_windows(vectors, [1, 1])


def test_the_content_hash_follows_the_way_a_page_becomes_a_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    before = content_hash("SQL basics.", "m1")
    monkeypatch.setattr(documents, "DOCUMENT_SCHEME", "another-scheme")
    assert content_hash("SQL basics.", "m1") != before


def test_the_module_examples_hold() -> None:
    results = doctest.testmod(documents)
    assert results.attempted >= 4 and results.failed == 0
