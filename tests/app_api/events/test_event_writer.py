"""Group commit of event batches: concurrent requests share a transaction, and are answered as if alone.

These run on a database of their own, because the writer commits (the other tests' transaction would hide
exactly what is checked here: which batches were committed together).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

from app_api.events.service import read_json
from app_api.users.models import User
from skillstudio.events import CheckedBatch, GroupWriter, StoredBatch
from skillstudio.main.app import create_app
from skillstudio.settings import Settings
from tests.factories import auth_headers

RECEIVED = datetime.now(UTC)


@pytest.fixture
def engine(fresh_database: str) -> Iterator[Engine]:
    engine = create_engine(fresh_database)
    yield engine
    engine.dispose()


def statement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": {"id": str(uuid.uuid4())},
        "verb": "experienced",
        "object": {"id": str(uuid.uuid4()), "type": "lesson"},
        "timestamp": (RECEIVED - timedelta(hours=1)).isoformat(),
    }
    return body | overrides


def checked(*statements: dict[str, Any]) -> CheckedBatch:
    return read_json(body=json.dumps(list(statements)).encode(), received_at=RECEIVED, limit=1000)


def store_together(writer: GroupWriter, *batches: CheckedBatch) -> list[StoredBatch | BaseException]:
    """Store the batches from concurrent tasks, as concurrent requests would."""

    async def run() -> list[StoredBatch | BaseException]:
        tasks = [writer.store(batch, received_at=RECEIVED) for batch in batches]
        return await asyncio.gather(*tasks, return_exceptions=True)

    return asyncio.run(run())


def transactions(engine: Engine) -> int:
    """How many transactions wrote the stored events (rows written by one share its xmin)."""
    with engine.connect() as conn:
        return conn.execute(text("select count(distinct xmin::text) from learner_events")).scalar_one()


def test_concurrent_batches_share_one_commit(engine: Engine) -> None:
    writer = GroupWriter(sessionmaker(engine))
    batches = [checked(statement(), statement()) for _ in range(20)]

    answers = store_together(writer, *batches)

    assert [(a.accepted, a.duplicate, a.rejected) for a in answers] == [(2, 0, 0)] * 20  # type: ignore[union-attr]
    assert [a.event_ids for a in answers] == [b.event_ids for b in batches]  # type: ignore[union-attr]
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from learner_events")).scalar_one() == 40
    assert transactions(engine) == 1


def test_a_statement_in_two_batches_of_a_group_is_accepted_once(engine: Engine) -> None:
    writer = GroupWriter(sessionmaker(engine))
    shared = statement(id=str(uuid.uuid4()))

    first, second = store_together(writer, checked(shared, statement()), checked(statement(), shared))

    assert (first.accepted, first.duplicate) == (2, 0)  # type: ignore[union-attr]
    assert (second.accepted, second.duplicate) == (1, 1)  # type: ignore[union-attr]
    again = store_together(writer, checked(shared))[0]
    assert (again.accepted, again.duplicate) == (0, 1)  # type: ignore[union-attr]


def test_each_batch_gets_its_own_rejections_and_quarantine_ids(engine: Engine) -> None:
    writer = GroupWriter(sessionmaker(engine))
    future = (RECEIVED + timedelta(days=2)).isoformat()

    first, second = store_together(
        writer,
        checked(statement(), statement(verb="teleported")),
        checked(statement(timestamp=future), statement(), statement()),
    )

    assert [r.index for r in first.rejections] == [1]  # type: ignore[union-attr]
    assert "unknown verb 'teleported'" in first.rejections[0].reason  # type: ignore[union-attr]
    assert [r.index for r in second.rejections] == [0]  # type: ignore[union-attr]
    assert "future" in second.rejections[0].reason  # type: ignore[union-attr]
    assert (first.accepted, second.accepted) == (1, 2)  # type: ignore[union-attr]
    ids = [r.quarantine_id for answer in (first, second) for r in answer.rejections]  # type: ignore[union-attr]
    with engine.connect() as conn:
        kept: dict[int, int] = dict(
            conn.execute(text("select quarantine_id, batch_index from event_quarantine")).all()
        )
    assert kept == {ids[0]: 1, ids[1]: 0}


def test_a_batch_the_database_refuses_fails_alone(engine: Engine) -> None:
    writer = GroupWriter(sessionmaker(engine))
    good = [checked(statement()) for _ in range(3)]
    bad = checked(statement())
    # An actor id that passes no check in Python: the database refuses it.
    bad = dataclasses.replace(bad, rows=[bad.rows[0]._replace(actor_id="not a uuid")])

    answers = store_together(writer, good[0], bad, good[1], good[2])

    assert isinstance(answers[1], Exception)
    assert "uuid" in str(answers[1])
    assert [a.accepted for a in answers if isinstance(a, StoredBatch)] == [1, 1, 1]
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from learner_events")).scalar_one() == 3


def test_large_batches_are_written_alone(engine: Engine) -> None:
    writer = GroupWriter(sessionmaker(engine))
    large = checked(*(statement() for _ in range(200)))

    answers = store_together(writer, large, checked(statement()))

    assert [a.accepted for a in answers] == [200, 1]  # type: ignore[union-attr]
    assert transactions(engine) == 2


def test_posting_events_without_a_database_is_a_503(server_url: str, tmp_path: Path) -> None:
    gone = make_url(server_url).set(database="skillstudio_no_such_database")
    app = create_app(Settings(home=tmp_path, database_url=gone.render_as_string(hide_password=False)))
    learner = User(user_id=uuid.uuid4(), role="learner")
    client = TestClient(app, raise_server_exceptions=False, headers=auth_headers(app.state.settings, learner))

    response = client.post("/api/v1/events", json=[statement(actor={"id": str(learner.user_id)})])

    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "nothing was changed" in response.json()["detail"]
