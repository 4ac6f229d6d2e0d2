"""Live experiments: which model a learner is served, and the log of every served list.

Arms. With ``SKILLSTUDIO_RECOMMENDER_CHALLENGER_SHARE`` above 0, a learner is in the challenger arm when
``int(sha256(f"{salt}:{learner_id}")[:8]) mod 10000 < share * 10000`` (salt:
``SKILLSTUDIO_RECOMMENDER_EXPERIMENT_SALT``): the same arm on every request and in every process, about
``share`` of learners, and a new salt reshuffles them. The challenger is the version behind
``SKILLSTUDIO_RECOMMENDER_CHALLENGER_ALIAS`` (default ``challenger``), followed like the champion's; while
that alias is missing, everyone gets the champion (variant ``champion``).

Log. Every served list is a learner event (verb ``was-served``, object type ``recommendation_list``, a
fresh id per list; docs/events.md) with the model name, version, variant, k and the course ids in order.
The request only appends it to an in-process queue; a request finding the queue due (``flush_seconds``
old, or ``FLUSH_ROWS`` lists) writes it in one transaction after its response has been sent, and the
app's shutdown writes what is left. A process killed without shutdown loses at most those seconds of
lists: the log feeds an experiment's statistics, not the learner's record.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from serving.answers import Reads
from serving.model_store import ModelStore
from serving.schemas import Variant
from skillstudio.db import driver_connection
from skillstudio.events.contract import EventRow, event_row
from skillstudio.events.store import write_events

BUCKETS = 10_000
FLUSH_ROWS = 500
MAX_PENDING = 100_000
SERVED_VERB = "was-served"
SERVED_OBJECT_TYPE = "recommendation_list"
logger = logging.getLogger(__name__)


def bucket_of(learner_id: uuid.UUID, salt: str) -> int:
    """The learner's bucket in [0, 10000): stable for a (learner, salt) pair."""
    digest = hashlib.sha256(f"{salt}:{learner_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_challenger_arm(learner_id: uuid.UUID, share: float, salt: str) -> bool:
    return share > 0 and bucket_of(learner_id, salt) < share * BUCKETS


@dataclass
class Experiment:
    """The champion's store, and the challenger's with its share (None or share 0: no experiment)."""

    champion: ModelStore
    challenger: ModelStore | None = None
    share: float = 0.0
    salt: str = "recommender-experiment-1"

    def arm(self, learner_id: uuid.UUID) -> tuple[Variant, ModelStore]:
        """The learner's variant and the store to serve it from; never blocks.

        A learner of the challenger arm gets the champion while the challenger alias is known missing.
        """
        challenger = self.challenger
        if challenger is None or not in_challenger_arm(learner_id, self.share, self.salt):
            return "champion", self.champion
        if challenger.absent():
            return "champion", self.champion
        return "challenger", challenger


@dataclass(frozen=True)
class ServedList:
    served_at: datetime
    learner_id: uuid.UUID
    model_name: str
    model_version: str
    variant: Variant
    k: int
    items: tuple[str, ...]


class ServedLog:
    """Served lists waiting to be written as events; safe to use from any thread."""

    def __init__(self, *, flush_seconds: float = 1.0, flush_rows: int = FLUSH_ROWS) -> None:
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._pending: list[ServedList] = []
        self._oldest = float("inf")
        self._queue = threading.Lock()  # held for an append or a swap only
        self._scheduled = False  # a flush was asked for and has not taken the queue yet
        self._writing = threading.Lock()

    def add(self, served: ServedList) -> bool:
        """Queue one served list; returns True when the queue became due for a flush and none is scheduled
        yet: the caller then schedules ``flush`` (after its response)."""
        with self._queue:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(served)
            if self._scheduled or not self.due():
                return False
            self._scheduled = True
            return True

    def due(self) -> bool:
        return bool(self._pending) and (
            len(self._pending) >= self.flush_rows or time.monotonic() - self._oldest >= self.flush_seconds
        )

    def __len__(self) -> int:
        return len(self._pending)

    def flush(self, transactions: Reads) -> int:
        """Write every queued list in one transaction (blocking); returns how many. A flush already under
        way makes this one a no-op: its rows wait for the next. A failed write puts the lists back."""
        if not self._writing.acquire(blocking=False):
            with self._queue:
                self._scheduled = False  # the next due request asks again
            return 0
        try:
            with self._queue:
                taken, self._pending, self._oldest = self._pending, [], float("inf")
                self._scheduled = False
            if not taken:
                return 0
            try:
                now = datetime.now(UTC)  # received: when written, up to flush_seconds after serving
                with transactions() as session:
                    write_events(driver_connection(session), [_row(served, now) for served in taken])
            except Exception:
                with self._queue:
                    # Kept for the next flush, within bounds: a database down for long costs the oldest
                    # lists, not the server's memory.
                    self._pending = (taken + self._pending)[-MAX_PENDING:]
                    self._oldest = time.monotonic()
                raise
            return len(taken)
        finally:
            self._writing.release()

    def flush_logged(self, transactions: Reads) -> None:
        """``flush`` for a background task: a failure is logged, the lists kept for the next flush."""
        try:
            self.flush(transactions)
        except Exception:
            logger.exception("could not write %d served recommendation lists", len(self._pending))

    def close(self, transactions: Reads) -> None:
        """Write everything still queued (shutdown), waiting for a flush under way first; a failure is
        logged (with how many lists are lost) rather than failing the shutdown."""
        with self._writing:
            pass
        self.flush_logged(transactions)


def _row(served: ServedList, received_at: datetime) -> EventRow:
    return event_row(
        occurred_at=served.served_at,
        received_at=received_at,
        actor_id=served.learner_id,
        verb=SERVED_VERB,
        object_type=SERVED_OBJECT_TYPE,
        object_id=str(uuid.uuid4()),
        extensions={
            "model_name": served.model_name,
            "model_version": served.model_version,
            "variant": served.variant,
            "k": served.k,
            "items": list(served.items),
        },
    )


def served_now(
    learner_id: uuid.UUID,
    model_name: str,
    model_version: str,
    variant: Variant,
    k: int,
    items: tuple[str, ...],
) -> ServedList:
    return ServedList(datetime.now(UTC), learner_id, model_name, model_version, variant, k, items)
