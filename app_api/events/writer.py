"""Writing checked batches for the event route: small batches from concurrent requests share one commit.

A learner's single statement costs far more in the transaction around it (a pooled connection checked out
and pinged, a commit, two thread hops) than in its one-row insert. At hundreds of requests a second that
overhead is most of the server's CPU, so small batches wait in a queue while the previous group is written,
and the next group goes to the database in one transaction (group commit). A request is answered only
after its group has committed: nothing is acknowledged that is not stored. Large batches (an importer, an
LRS bridge) gain nothing from company and are written alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Protocol

import anyio
import anyio.to_thread
import psycopg
import sqlalchemy.exc
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app_api.events import service
from app_api.events.schemas import EventBatchRead
from skillstudio.events.intake import CheckedBatch

logger = logging.getLogger(__name__)

# Batches of more statements than this are written alone (the size where write_events switches to COPY).
ALONE_ABOVE = 32
# Errors that say the database cannot be reached or is overloaded: the whole group failed for a reason
# that no batch caused, so retrying batches one by one would only add load. The route answers 503.
UNAVAILABLE = (sqlalchemy.exc.TimeoutError, sqlalchemy.exc.OperationalError, psycopg.OperationalError)

_Pending = tuple[CheckedBatch, datetime, "asyncio.Future[EventBatchRead]"]


class EventWriter(Protocol):
    async def store(self, checked: CheckedBatch, *, received_at: datetime) -> EventBatchRead:
        """Store one checked batch and answer what became of each statement."""
        ...


class GroupWriter:
    """The server's writer: one per app, on ``app.state.event_writer``.

    One group is in flight at a time: the batches that arrive meanwhile form the next one, so a busy
    server commits more batches per transaction instead of queueing transactions.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Group writes get their own thread: they must never wait behind routes blocked on the pool.
        self._limiter = anyio.CapacityLimiter(1)

    async def store(self, checked: CheckedBatch, *, received_at: datetime) -> EventBatchRead:
        if len(checked.rows) + len(checked.rejected) > ALONE_ABOVE:
            return (await anyio.to_thread.run_sync(self._write, [(checked, received_at)]))[0]
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a test client may run each request on a loop of its own
            self._loop, self._queue, self._flusher = loop, [], None
        future: asyncio.Future[EventBatchRead] = loop.create_future()
        self._queue.append((checked, received_at, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        # Shielded: a client hanging up does not take its statements out of a group being written.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queue:
            group, self._queue = self._queue, []
            batches = [(checked, received_at) for checked, received_at, _ in group]
            outcomes: list[EventBatchRead | Exception]
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

    def _write_group(self, batches: list[tuple[CheckedBatch, datetime]]) -> list[EventBatchRead | Exception]:
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

    def _write_alone(self, batch: tuple[CheckedBatch, datetime]) -> EventBatchRead | Exception:
        try:
            return self._write([batch])[0]
        except UNAVAILABLE:
            raise
        except Exception as error:  # noqa: BLE001 - this batch's request fails, the others' do not
            return error

    def _write(self, batches: Sequence[tuple[CheckedBatch, datetime]]) -> list[EventBatchRead]:
        with self._factory.begin() as session:
            return service.store(session=session, batches=batches)


class SessionWriter:
    """Writes through a session that someone else commits: the tests' transaction, rolled back after."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def store(self, checked: CheckedBatch, *, received_at: datetime) -> EventBatchRead:
        return service.store(session=self._session, batches=[(checked, received_at)])[0]


async def get_event_writer(request: Request) -> EventWriter:
    """Async: a plain function dependency would cost every request a hop to a worker thread."""
    writer: EventWriter = request.app.state.event_writer
    return writer


EventWriterDep = Annotated[EventWriter, Depends(get_event_writer)]
