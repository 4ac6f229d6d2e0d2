"""Events of one batch, gathered as arrays (one chunk per verb and step) and turned into COPY columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from skillstudio.events import EVENT_COLUMNS, Categorical
from skillstudio.sources.synthetic.catalogue import Catalogue, random_ids

VERBS = (
    "registered", "unregistered", "experienced", "completed", "attempted", "answered", "passed", "failed",
)  # fmt: skip
VERB = {name: code for code, name in enumerate(VERBS)}
OBJECT_TYPES = ("course", "lesson", "assessment", "question")
# What the simulation leaves to the columns' defaults (NULL, or '{}' for extensions).
_NOT_SIMULATED = frozenset(
    {"module_id", "response", "extensions", "score_raw", "score_min", "score_max", "result_extensions",
     "context_activities"}
)  # fmt: skip
# The columns the simulation fills: the store's (``EventRow``), in its order, but those.
GENERATED_COLUMNS = tuple(name for name in EVENT_COLUMNS if name not in _NOT_SIMULATED)
# Nullable columns and the value that stands for NULL while collecting.
_NULLABLE = {"attempt": 0, "score": np.nan, "success": -1, "completion": -1, "duration": np.nan}
_DTYPES = {
    "attempt": np.int32, "score": np.float64, "success": np.int8, "completion": np.int8,
    "duration": np.float64, "verb": np.int8,
}  # fmt: skip
_INDEXES = ("time", "learner", "verb", "object", "course", "enrollment")


class EventBuffer:
    """Collects events by index: learner, object (into ``Catalogue.object_strings``), course, enrollment."""

    def __init__(self) -> None:
        self._chunks: list[tuple[int, dict[str, Any]]] = []
        self.count = 0

    def add(
        self,
        verb: str,
        time: np.ndarray,
        learner: np.ndarray,
        obj: np.ndarray,
        course: np.ndarray,
        enrollment: np.ndarray,
        **results: Any,
    ) -> None:
        """One event per element of ``learner``; ``results`` are attempt, score, success, completion and
        duration (arrays or one value for all). Arrays are kept as given: callers pass fresh ones."""
        rows = len(learner)
        if rows == 0:
            return
        unknown = set(results) - set(_NULLABLE)
        if unknown:
            raise TypeError(f"unknown event results {sorted(unknown)}")
        values = {"time": time, "learner": learner, "object": obj, "course": course, "enrollment": enrollment}
        self._chunks.append((rows, {**values, "verb": VERB[verb], **results}))
        self.count += rows

    def _column(self, name: str, dtype: Any) -> np.ndarray:
        """One field of every chunk, NULL (``_NULLABLE``) where a chunk did not give it."""
        column = np.full(self.count, _NULLABLE.get(name, 0), dtype=dtype)
        position = 0
        for rows, values in self._chunks:
            if name in values:
                column[position : position + rows] = values[name]
            position += rows
        return column

    def columns(
        self,
        rng: np.random.Generator,
        catalogue: Catalogue,
        learner_ids: np.ndarray,
        enrollment_ids: np.ndarray,
    ) -> dict[str, Any]:
        """The batch as ``learner_events`` columns; draws event ids and delivery delays from ``rng``."""
        data = {name: self._column(name, _DTYPES.get(name, np.int64)) for name in (*_INDEXES, *_NULLABLE)}
        rows = self.count
        occurred = data["time"].astype(np.int64)
        # Statements reach the server a little after they happen: a few hundred milliseconds, sometimes more.
        delay = np.minimum(rng.lognormal(np.log(400_000), 1.0, size=rows), 600_000_000).astype(np.int64)
        objects = data["object"].astype(np.int64)
        starts = [catalogue.lesson_object, catalogue.quiz_object, catalogue.question_object]
        attempt, score, success, completion, duration = (data[name] for name in _NULLABLE)
        return {
            "event_id": random_ids(rng, rows),
            "occurred_at": occurred.astype("datetime64[us]"),
            "received_at": (occurred + delay).astype("datetime64[us]"),
            "actor_id": Categorical(data["learner"], learner_ids),
            "verb": Categorical(data["verb"], VERBS),
            "object_type": Categorical(np.searchsorted(starts, objects, side="right"), OBJECT_TYPES),
            "object_id": Categorical(objects, catalogue.object_strings),
            "course_id": Categorical(data["course"], catalogue.course_ids),
            "registration": Categorical(data["enrollment"], enrollment_ids),
            "attempt": np.ma.masked_equal(attempt, 0),
            "score_scaled": np.ma.masked_invalid(score),
            "success": np.ma.masked_array(success == 1, mask=success < 0),
            "completion": np.ma.masked_array(completion == 1, mask=completion < 0),
            "duration_s": np.ma.masked_invalid(duration),
        }
