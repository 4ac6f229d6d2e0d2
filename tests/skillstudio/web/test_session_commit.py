"""The request's session is committed before its response is sent (``SessionDep``'s scope): a client that
reads right after a write sees it, and a commit that fails is the request's error, not a success."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
