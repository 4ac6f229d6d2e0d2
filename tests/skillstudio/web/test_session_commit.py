"""The request's session is committed before its response is sent (``SessionDep``'s scope): a client that
reads right after a write sees it, and a commit that fails is the request's error, not a success."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import sessionmaker

from skillstudio.web.dependencies import SessionDep


@pytest.fixture
def ordered(shared_database: str) -> Iterator[tuple[TestClient, list[str]]]:
    """A small app on the real dependency and database; ``order`` records commits and response starts."""
    engine = create_engine(shared_database)
    order: list[str] = []
    app = FastAPI()
    app.state.session_factory = sessionmaker(bind=engine)

    @app.get("/read")
    def read(session: SessionDep) -> dict[str, int]:
        event.listen(session, "after_commit", lambda _session: order.append("commit"))
        return {"one": session.execute(text("select 1")).scalar_one()}

    @app.get("/lost")
    def lost(session: SessionDep) -> dict[str, str]:
        # A unique key checked only at commit: the route itself succeeds, the commit fails.
        session.execute(text("create temp table once (n int unique deferrable initially deferred)"))
        session.execute(text("insert into once values (1), (1)"))
        return {"saved": "yes"}

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def send_and_record(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append("response")
            await send(message)

        await app(scope, receive, send_and_record)

    with TestClient(recording, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        yield client, order
    engine.dispose()


def test_the_commit_comes_before_the_response(ordered: tuple[TestClient, list[str]]) -> None:
    client, order = ordered
    assert client.get("/read").json() == {"one": 1}
    assert order == ["commit", "response"]


def test_a_failed_commit_is_not_answered_as_a_success(ordered: tuple[TestClient, list[str]]) -> None:
    client, _ = ordered
    response = client.get("/lost")
    assert response.status_code >= 500, response.text


def test_an_overload_beyond_the_pool_queues_instead_of_deadlocking(shared_database: str) -> None:
    """A sync route's answer is validated in a worker thread while its session still holds a connection.
    With more requests than connections and every worker thread waiting for one, the requests holding the
    connections waited for a thread until the pool timed out; now the extra requests wait for a session
    without a thread, and every request is answered at once."""
    engine = create_engine(shared_database, pool_size=1, max_overflow=0, pool_timeout=3)
    app = FastAPI()
    app.state.session_factory = sessionmaker(bind=engine)

    @app.get("/slow")
    def slow(session: SessionDep) -> dict[str, int]:
        return {"one": session.execute(text("select 1 from pg_sleep(0.2)")).scalar_one()}

    async def three_at_once() -> tuple[list[int], float]:
        # Two worker threads for three requests and one connection: the smallest case of the deadlock.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            started = time.perf_counter()
            answers = await asyncio.gather(*(client.get("/slow") for _ in range(3)))
            return [answer.status_code for answer in answers], time.perf_counter() - started

    try:
        statuses, seconds = asyncio.run(three_at_once())
    finally:
        engine.dispose()
    assert statuses == [200, 200, 200]
    assert seconds < 2.5, f"three 0.2 s requests took {seconds:.1f} s: they waited for the pool's timeout"
