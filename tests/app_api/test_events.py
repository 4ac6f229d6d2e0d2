"""Event intake over HTTP: COPY-backed, idempotent, one reason per rejected statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.events import VERBS, Statement


def statement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": {"id": str(uuid.uuid4())},
        "verb": "experienced",
        "object": {"id": str(uuid.uuid4()), "type": "lesson"},
        "result": {"duration_s": 42.5, "completion": False},
        "context": {"course_id": str(uuid.uuid4()), "registration": str(uuid.uuid4())},
        "timestamp": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


def stored(session: Session) -> int:
    return session.execute(text("select count(*) from learner_events")).scalar_one()


def test_batch_is_stored_and_replay_adds_nothing(client: TestClient, session: Session) -> None:
    batch = [statement() for _ in range(25)]
    first = client.post("/api/v1/events", json=batch)
    assert first.status_code == 200
    assert first.json() | {"event_ids": None} == {
        "accepted": 25, "duplicate": 0, "rejected": 0, "rejections": [], "event_ids": None
    }  # fmt: skip
    assert stored(session) == 25

    replay = client.post("/api/v1/events", json=batch)
    assert (replay.json()["accepted"], replay.json()["duplicate"]) == (0, 25)
    assert replay.json()["event_ids"] == first.json()["event_ids"]
    assert stored(session) == 25


def test_stored_row_keeps_every_field(client: TestClient, session: Session) -> None:
    body = statement(
        verb="http://adlnet.gov/expapi/verbs/answered",
        object={"id": "q-17", "type": "question"},
        result={"score_scaled": 0.75, "success": True, "response": "B", "duration_s": 9.0},
        context={"attempt": 2, "extensions": {"hint_used": True}},
    )
    response = client.post("/api/v1/events", json=[body])
    event_id = response.json()["event_ids"][0]
    row = session.execute(
        text("select verb, object_type, object_id, attempt, score_scaled, success, response, extensions, "
             "actor_id from learner_events where event_id = :id"),
        {"id": event_id},
    ).one()  # fmt: skip
    assert row == (
        "answered",
        "question",
        "q-17",
        2,
        0.75,
        True,
        "B",
        {"hint_used": True},
        uuid.UUID(body["actor"]["id"]),
    )
    assert uuid.UUID(event_id) == Statement.model_validate(body).event_id()


def test_event_id_is_derived_deterministically_and_client_ids_are_kept() -> None:
    body = statement()
    assert Statement.model_validate(body).event_id() == Statement.model_validate(dict(body)).event_id()
    later = statement(actor=body["actor"], object=body["object"], timestamp=datetime.now(UTC).isoformat())
    assert Statement.model_validate(later).event_id() != Statement.model_validate(body).event_id()
    chosen = uuid.uuid4()
    assert Statement.model_validate(statement(id=str(chosen))).event_id() == chosen


def test_bad_statements_are_rejected_one_by_one_and_good_ones_kept(
    client: TestClient, session: Session
) -> None:
    good = [statement(), statement()]
    batch = [
        good[0],
        statement(verb="teleported"),
        statement(actor={"id": "alice@example.com"}),
        statement(timestamp="2026-01-01T10:00:00"),
        statement(timestamp=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
        statement(result={"score_scaled": 3}),
        "not an object",
        good[1],
        good[1],
    ]
    body = client.post("/api/v1/events", json=batch).json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 1, 6)
    reasons = {item["index"]: item["reason"] for item in body["rejections"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6]
    assert "unknown verb 'teleported'" in reasons[1]
    assert reasons[2].startswith("actor.id:")
    assert "timezone" in reasons[3]
    assert "in the future" in reasons[4]
    assert reasons[5].startswith("result.score_scaled:")
    assert body["event_ids"][1] is None and body["event_ids"][0] is not None
    assert stored(session) == 2


def test_batch_limit_and_malformed_body_are_problem_documents(client: TestClient) -> None:
    too_many = client.post("/api/v1/events", json=[statement()] * 5001)
    assert too_many.status_code == 413
    assert too_many.headers["content-type"] == "application/problem+json"
    assert "at most 5000" in too_many.json()["detail"]

    not_a_list = client.post("/api/v1/events", json={"actor": "x"})
    assert not_a_list.status_code == 422
    assert not_a_list.headers["content-type"] == "application/problem+json"
    assert not_a_list.json()["errors"][0]["field"] == "body"

    garbage = client.post("/api/v1/events", content=b"{nope", headers={"content-type": "application/json"})
    assert garbage.status_code == 422


def test_every_vocabulary_verb_is_accepted_by_name_and_iri(client: TestClient) -> None:
    batch = [statement(verb=name) for name in VERBS] + [statement(verb=iri) for iri in VERBS.values()]
    body = client.post("/api/v1/events", json=batch).json()
    assert body["rejected"] == 0 and body["accepted"] == len(batch)
