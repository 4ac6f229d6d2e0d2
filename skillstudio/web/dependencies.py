"""Request dependencies shared by the learning API and the serving layer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from skillstudio.object_storage import ObjectStore, store_from_settings
from skillstudio.web.security import require_role

# Threads that commit and close request sessions; as many as the pool has connections (10 + 20 overflow).
CLOSING_THREADS = 30


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed once when the route returns without error, before the
    response is sent (``SessionDep``'s scope).

    Async, so that opening it costs no hop to a worker thread: a Session connects lazily, on the first
    query, which the (sync) route makes in its own thread. Committing and closing do IO, so they take one
    hop together; shielded, so that a client hanging up mid-request still returns the connection.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    async with _session_slots(request, factory):
        session = factory()
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _in_closing_thread(request, _rollback_and_close, session)
            raise
        with anyio.CancelScope(shield=True):
            await _in_closing_thread(request, _commit_and_close, session)


def _session_slots(
    request: Request, factory: sessionmaker[Session]
) -> anyio.Semaphore | AbstractAsyncContextManager[None]:
    """At most as many request sessions at once as the pool has connections; the others wait here, on
    the event loop, holding neither a thread nor a connection.

    Without it an overload deadlocks a sync route: FastAPI validates a sync route's answer in a worker
    thread too, while the session still holds its connection, so once every worker thread waits for a
    connection, the routes that hold the connections wait for a thread, until the pool times out. With as
    many sessions as connections, a route never waits for a connection, and its thread always comes back.
    """
    state = request.app.state
    slots: anyio.Semaphore | AbstractAsyncContextManager[None] | None = getattr(state, "session_slots", None)
    if slots is None:
        pool = getattr(factory.kw.get("bind"), "pool", None)
        # QueuePool's own bound (pool_size + max_overflow); a negative overflow or another pool: no bound.
        overflow = getattr(pool, "_max_overflow", -1)
        if isinstance(pool, QueuePool) and overflow >= 0:
            slots = anyio.Semaphore(pool.size() + overflow)
        else:
            slots = nullcontext()
        state.session_slots = slots
    return slots


async def _in_closing_thread(request: Request, close: Callable[[Session], None], session: Session) -> None:
    """Run ``close`` in a thread of its own pool.

    Not in the routes' pool: when every route thread waits for a database connection, the commits that
    would give connections back must not wait for a route thread too, or no request ever finishes.
    """
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "closing_limiter", None)
    if limiter is None:
        limiter = state.closing_limiter = anyio.CapacityLimiter(CLOSING_THREADS)
    await anyio.to_thread.run_sync(close, session, limiter=limiter)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


# Scope "function": the session is committed when the route returns, *before* the response is sent (the
# default scope would commit after sending it). A client that reads right after a write then sees it, and
# a commit that fails is the request's error instead of a success answered for a change that was lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_object_store(request: Request) -> ObjectStore:
    """The app's object store (certificates' PDFs), made once from its settings (tests may set
    ``app.state.object_store``)."""
    store: ObjectStore | None = getattr(request.app.state, "object_store", None)
    if store is None:
        store = request.app.state.object_store = store_from_settings(request.app.state.settings)
    return store


def get_public_url(request: Request) -> str:
    """The address the platform is reached at, for links that leave it (emails, QR codes)."""
    return str(request.app.state.settings.public_url)


ObjectStoreDep = Annotated[ObjectStore, Depends(get_object_store)]
PublicUrl = Annotated[str, Depends(get_public_url)]

# Admin routes are for accounts with the admin role (JWT from POST /api/v1/auth/login).
# Use as ``dependencies=[RequireAdmin]`` on an admin router or route.
RequireAdmin = Depends(require_role("admin"))
