"""Storing checked batches: accepted events and quarantined statements together, alone or grouped.

``store_batches`` writes batches in the caller's transaction. ``GroupWriter`` gives them a transaction:
a learner's single statement costs far more in the transaction around it (a pooled connection checked out
and pinged, a commit, two thread hops) than in its one-row insert. At hundreds of requests a second that
overhead is most of the server's CPU, so small batches wait in a queue while the previous group is written,
and the next group goes to the database in one transaction (group commit). A batch is answered only after
its group has committed: nothing is acknowledged that is not stored. Large batches (an importer, an LRS
bridge) gain nothing from company and are written alone.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio
import anyio.to_thread
import psycopg
import sqlalchemy.exc
from sqlalchemy.orm import Session

from skillstudio.db import driver_connection
from skillstudio.events.intake import CheckedBatch, FieldErrors, reason_of
from skillstudio.events.quarantine import quarantine
from skillstudio.events.store import FEW_ROWS, write_events

logger = logging.getLogger(__name__)

# Batches of more statements than this are written alone (the size where write_events switches to COPY).
ALONE_ABOVE = FEW_ROWS
# Errors that say the database cannot be reached or is overloaded: the whole group failed for a reason
# that no batch caused, so retrying batches one by one would only add load.
UNAVAILABLE = (sqlalchemy.exc.TimeoutError, sqlalchemy.exc.OperationalError, psycopg.OperationalError)


@dataclass(frozen=True)
class QuarantinedStatement:
    """A statement of the batch that failed, with why, and where the quarantine keeps it."""

    index: int
    errors: FieldErrors
    quarantine_id: int

    @property
    def reason(self) -> str:
        return reason_of(self.errors)


@dataclass(frozen=True)
class StoredBatch:
    """What became of each statement of a batch: ``event_ids`` has the id of each valid one (None for the
    rejected), ``accepted`` counts those stored now and ``duplicate`` those stored before."""

    accepted: int
    duplicate: int
    event_ids: list[uuid.UUID | None]
    rejections: list[QuarantinedStatement]

    @property
    def rejected(self) -> int:
        return len(self.rejections)


Received = tuple[CheckedBatch, datetime]


def store_batches(conn: psycopg.Connection, batches: Sequence[Received]) -> list[StoredBatch]:
    """Store checked batches (each with the time it was received) in the caller's transaction.

    Accepted events and quarantined statements go in the same transaction: each batch is kept whole.
    Several batches (concurrent requests written together) are counted as if stored one after another:
    an event stored now is "accepted" for the first batch that holds it and "duplicate" for the others.
    """
    rows = [row for checked, _ in batches for row in checked.rows]
    unclaimed = Counter(write_events(conn, rows) if rows else [])
    stored = []
    for checked, received_at in batches:
        accepted = 0
        for row in checked.rows:
            if unclaimed[row.event_id] > 0:
                unclaimed[row.event_id] -= 1
                accepted += 1
        quarantine_ids = quarantine(conn, checked.rejected, received_at=received_at)
        rejections = [
            QuarantinedStatement(item.index, item.errors, quarantine_id)
            for item, quarantine_id in zip(checked.rejected, quarantine_ids, strict=True)
        ]
        stored.append(StoredBatch(accepted, len(checked.rows) - accepted, checked.event_ids, rejections))
    return stored


_Pending = tuple[CheckedBatch, datetime, "asyncio.Future[StoredBatch]"]


class Transactions(Protocol):
    """Where groups are written: each ``begin()`` is a transaction that commits when its block ends
    (a ``sessionmaker``)."""

    def begin(self) -> AbstractContextManager[Session]: ...


class GroupWriter:
    """The server's writer: one per app. ``transactions`` (the app's ``sessionmaker``) gives each group its
    transaction.

    One group is in flight at a time: the batches that arrive meanwhile form the next one, so a busy
    server commits more batches per transaction instead of queueing transactions.
    """

    def __init__(self, transactions: Transactions) -> None:
        self._transactions = transactions
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Group writes get their own thread: they must never wait behind routes blocked on the pool.
        self._limiter = anyio.CapacityLimiter(1)

    async def store(self, checked: CheckedBatch, *, received_at: datetime) -> StoredBatch:
        """Store one checked batch once it is committed; raises one of ``UNAVAILABLE`` when the database
        cannot be reached, or what the database said when it refused this batch."""
        if len(checked.rows) + len(checked.rejected) > ALONE_ABOVE:
            return (await anyio.to_thread.run_sync(self._write, [(checked, received_at)]))[0]
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a test client may run each request on a loop of its own
            self._loop, self._queue, self._flusher = loop, [], None
        future: asyncio.Future[StoredBatch] = loop.create_future()
        self._queue.append((checked, received_at, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        # Shielded: a client hanging up does not take its statements out of a group being written.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queue:
            group, self._queue = self._queue, []
            batches = [(checked, received_at) for checked, received_at, _ in group]
            outcomes: list[StoredBatch | Exception]
            try:
                outcomes = await anyio.to_thread.run_sync(self._write_group, batches, limiter=self._limiter)
            except Exception as error:  # noqa: BLE001 - the database is unavailable: every request is told
                outcomes = [error] * len(group)
            for (_, _, future), outcome in zip(group, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _write_group(self, batches: list[Received]) -> list[StoredBatch | Exception]:
        try:
            return [*self._write(batches)]
        except UNAVAILABLE:
            raise
        except Exception as error:
            if len(batches) == 1:
                return [error]
            # Something in one batch failed the group's transaction: write each alone, so that the
            # others are stored and only the faulty one's request fails.
            logger.exception("a group of %d event batches failed; writing them one by one", len(batches))
        return [self._write_alone(batch) for batch in batches]

    def _write_alone(self, batch: Received) -> StoredBatch | Exception:
        try:
            return self._write([batch])[0]
        except UNAVAILABLE:
            raise
        except Exception as error:  # noqa: BLE001 - this batch's request fails, the others' do not
            return error

    def _write(self, batches: Sequence[Received]) -> list[StoredBatch]:
        with self._transactions.begin() as session:
            return store_batches(driver_connection(session), batches)
