"""Property: whatever mix of new, repeated and malformed statements arrives, in whatever batches, the store
ends with exactly the distinct valid statements and every malformed one is in quarantine.

Each Hypothesis example posts its batches through the real app inside a savepoint of the test's
transaction, and rolls it back before the next example, so examples never see each other's rows.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.events import GroupWriter
from skillstudio.events.contract import ACTIVITY_TYPES, VERBS
from skillstudio.events.quarantine import unwrap
from tests.factories import auth_headers, make_user

BASE = datetime(2026, 11, 1, tzinfo=UTC)
EXTENSION = "https://skillstudio.dev/xapi/extensions"


@dataclass(frozen=True)
class Action:
    """One learner action; ``number`` makes every generated action a different one."""

    number: int
    actor: uuid.UUID
    verb: str
    object_type: str
    seconds: int
    attempt: int | None
    score: float | None
    duration_s: float | None
    client_id: uuid.UUID | None

    @property
    def object_id(self) -> str:
        return f"{self.object_type}-{self.number}"

    @property
    def occurred_at(self) -> datetime:
        return BASE - timedelta(seconds=self.seconds)

    def identity(self) -> tuple[Any, ...]:
        return (self.actor, self.verb, self.object_type, self.object_id, self.occurred_at)

    def compact(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "actor": {"id": str(self.actor)},
            "verb": self.verb,
            "object": {"id": self.object_id, "type": self.object_type},
            "timestamp": self.occurred_at.isoformat(),
        }
        if self.client_id:
            body["id"] = str(self.client_id)
        if self.attempt:
            body["context"] = {"attempt": self.attempt}
        if self.score is not None or self.duration_s is not None:
            body["result"] = {"score_scaled": self.score, "duration_s": self.duration_s}
        return body

    def xapi(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": "https://lms.example.org", "name": str(self.actor)},
            },
            "verb": {"id": VERBS[self.verb], "display": {"en-US": self.verb}},
            "object": {
                "objectType": "Activity",
                "id": f"https://skillstudio.dev/xapi/activities/{self.object_type}/{self.object_id}",
                "definition": {"type": ACTIVITY_TYPES[self.object_type]},
            },
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
        }
        if self.client_id:
            body["id"] = str(self.client_id)
        if self.attempt:
            body["context"] = {"extensions": {f"{EXTENSION}/attempt": self.attempt}}
        result: dict[str, Any] = {}
        if self.score is not None:
            result["score"] = {"scaled": self.score}
        if self.duration_s is not None:
            result["duration"] = f"PT{self.duration_s}S"
        if result:
            body["result"] = result
        return body


def actions(number: int) -> st.SearchStrategy[Action]:
    return st.builds(
        Action,
        number=st.just(number),
        actor=st.uuids(),
        verb=st.sampled_from(sorted(VERBS)),
        object_type=st.sampled_from(sorted(ACTIVITY_TYPES)),
        seconds=st.integers(0, 400 * 86_400),
        attempt=st.none() | st.integers(1, 5),
        score=st.none() | st.floats(-1, 1),
        duration_s=st.none() | st.integers(0, 10_000).map(lambda centis: centis / 100),
        # Client ids, when used, are unique per action: a reused client id would make two actions one.
        client_id=st.none() | st.just(uuid.UUID(int=(number + 1) << 32 | 0xC11E)),
    )


def _broken(action: Action, how: str) -> Any:
    body = action.compact()
    if how == "no actor":
        del body["actor"]
    elif how == "unknown verb":
        body["verb"] = "teleported"
    elif how == "naive time":
        body["timestamp"] = action.occurred_at.replace(tzinfo=None).isoformat()
    elif how == "future":
        body["timestamp"] = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    elif how == "email actor":
        body = action.xapi() | {"actor": {"mbox": f"mailto:learner{action.number}@example.org"}}
    elif how == "bad duration":
        body = action.xapi() | {"result": {"duration": "P1M"}}
    elif how == "score out of range":
        body["result"] = {"score_scaled": 2.5}
    elif how == "nul in text":
        body["result"] = {"response": "before\x00after"}
    return body


BREAKAGES = ["no actor", "unknown verb", "naive time", "future", "email actor", "bad duration",
             "score out of range", "nul in text"]  # fmt: skip
NOT_OBJECTS = st.one_of(
    st.integers(), st.text(max_size=12), st.none(), st.booleans(), st.lists(st.integers(), max_size=3)
)


@st.composite
def traffic(draw: st.DrawFn) -> list[list[tuple[str, Any, Any]]]:
    """Batches of ``(kind, payload, expected)``: kind is new / repeat / malformed."""
    sent: list[Action] = []
    batches = []
    for _ in range(draw(st.integers(1, 4))):
        batch = []
        for _ in range(draw(st.integers(0, 8))):
            kind = draw(st.sampled_from(["new", "new", "repeat", "malformed"]))
            if kind == "repeat" and sent:
                # A retry, in either form: the compact and xAPI forms of one action are one event.
                action = draw(st.sampled_from(sent))
                batch.append(("repeat", draw(st.sampled_from([action.compact(), action.xapi()])), action))
            elif kind == "malformed":
                if draw(st.booleans()):
                    batch.append(("malformed", draw(NOT_OBJECTS), None))
                else:
                    broken = draw(actions(10_000 + len(sent) + len(batch)))
                    batch.append(("malformed", _broken(broken, draw(st.sampled_from(BREAKAGES))), None))
            else:
                action = draw(actions(len(sent)))
                sent.append(action)
                batch.append(("new", draw(st.sampled_from([action.compact(), action.xapi()])), action))
        batches.append(batch)
    return batches


@pytest.fixture
def app_client(
    session: Session, event_writer: GroupWriter, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The real app on the test's transaction; examples isolate themselves with savepoints."""
    from skillstudio.main.app import create_app
    from skillstudio.settings import Settings
    from skillstudio.web.dependencies import get_session

    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(home=tmp_path_factory.mktemp("home"), database_url=url))

    def _session() -> Iterator[Session]:
        yield session
        session.flush()

    app.dependency_overrides[get_session] = _session
    app.state.event_writer = event_writer
    admin = make_user(session, role="admin")
    with TestClient(app, headers=auth_headers(app.state.settings, admin)) as test_client:
        yield test_client


def canonical(value: Any) -> str:
    """The value as JSON text with -0.0 as 0.0: jsonb holds numbers as numeric, which has no negative zero."""
    return json.dumps(_unsigned_zeros(value), sort_keys=True)


def _unsigned_zeros(value: Any) -> Any:
    if isinstance(value, float):
        return value + 0.0  # -0.0 + 0.0 == 0.0; every other float unchanged
    if isinstance(value, dict):
        return {key: _unsigned_zeros(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unsigned_zeros(item) for item in value]
    return value


def test_store_holds_exactly_the_distinct_valid_statements(app_client: TestClient, session: Session) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(traffic())
    def check(batches: list[list[tuple[str, Any, Any]]]) -> None:
        savepoint = session.begin_nested()
        try:
            responses = [
                app_client.post(
                    "/api/v1/events",
                    content=json.dumps([payload for _, payload, _ in batch]).encode(),
                    headers={"content-type": "application/json"},
                ).json()
                for batch in batches
            ]
            items = [item for batch in batches for item in batch]
            distinct = {action.identity(): action for kind, _, action in items if kind == "new"}
            stored = session.execute(
                text(
                    "select actor_id, verb, object_type, object_id, occurred_at, event_id from learner_events"
                )
            ).all()
            assert sorted(map(tuple, (row[:5] for row in stored))) == sorted(distinct)
            with_ids = {action.client_id for action in distinct.values() if action.client_id}
            assert with_ids <= {row[5] for row in stored}

            malformed = [payload for kind, payload, _ in items if kind == "malformed"]
            kept = session.execute(text("select payload, payload_wrapped from event_quarantine")).all()
            assert Counter(canonical(unwrap(*row)) for row in kept) == Counter(map(canonical, malformed))

            assert sum(response["accepted"] for response in responses) == len(distinct)
            assert sum(response["rejected"] for response in responses) == len(malformed)
            repeats = sum(1 for kind, _, _ in items if kind == "repeat")
            assert sum(response["duplicate"] for response in responses) == repeats
        finally:
            savepoint.rollback()

    check()
