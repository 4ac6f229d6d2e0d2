"""No input fails the intake: every field of a valid statement, in either form, turned into every JSON type.

For each field path of a complete valid xAPI statement and of a complete valid compact statement (nested
ones included: ``result.score.scaled``, ``context.contextActivities.parent.0.id``, ``context.extensions``...),
the value is replaced by each kind of JSON value, oversized and out-of-range ones included. Mutated
statements are posted between good ones, and every answer must be a 200 in which the good statements are
stored and each mutated one is either stored (the mutation kept it valid) or quarantined, as sent, with its
reasons. Each batch is sent twice: as is, and with a statement holding U+0000 that sends the whole batch
down the careful path of ``skillstudio.events.intake``; both paths must reach the same verdicts. Every
mutated statement is then offered as the correction of a quarantined one, which must answer with the same
verdict and the same reasons, never with a 5xx.

The cases are enumerated, not drawn at random, so every path meets every kind on every run.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.events.contract import checked_score
from skillstudio.events.iso_duration import parse_duration
from skillstudio.events.quarantine import unwrap
from tests.factories import auth_headers, make_user

EXTENSION = "https://skillstudio.dev/xapi/extensions/"
ACTIVITY = "https://skillstudio.dev/xapi/activities/"
# JSON numbers beyond double range are valid JSON, yet Python reads them as infinity; Python cannot write
# them, so they travel through the body as this placeholder, replaced by the literal on the way out.
OVERFLOW_PLACEHOLDER = "\u2063overflow\u2063"
OVERFLOW_LITERAL = "-1e400"


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"level": value}
    return value


# Each kind of JSON value, with oversized and out-of-range members of the kinds that have them.
MUTATIONS: dict[str, Any] = {
    "null": None,
    "true": True,
    "false": False,
    "zero": 0,
    "negative int": -7,
    "int beyond 64 bits": 2**64 + 1,
    "int beyond double range": 10**400,
    "float": 0.25,
    "huge float": 1.5e308,
    "number beyond double range": OVERFLOW_PLACEHOLDER,
    "empty string": "",
    "string": "not what was expected",
    "oversized string": "x" * 20_000,
    "string with U+0000": "before\x00after",
    "empty list": [],
    "list": [1, "two", {"three": None}],
    "empty object": {},
    "object": {"key": [1, {"nested": "value"}]},
    "deeply nested": _nested(120),
}
CAREFUL = "string with U+0000"


def valid_xapi() -> dict[str, Any]:
    """A genuine xAPI statement using every field the platform reads, each with a valid value."""
    course, module = uuid.uuid4(), uuid.uuid4()
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "Learner",
            "account": {"homePage": "https://lms.example.org", "name": str(uuid.uuid4())},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": f"{ACTIVITY}question/q-{uuid.uuid4()}",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "name": {"en-US": "Question 1"},
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": True,
            "response": "B",
            "duration": "PT1M30.5S",
            "extensions": {f"{EXTENSION}hint-used": True, "https://example.org/ext/tries": [1, 2]},
        },
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {
                "parent": [
                    {
                        "objectType": "Activity",
                        "id": f"{ACTIVITY}module/{module}",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/module"},
                    }
                ],
                "grouping": [{"id": f"{ACTIVITY}course/{course}"}],
                "category": {"id": "https://example.org/profiles/quiz"},
                "other": [{"id": "https://example.org/other"}],
            },
            "extensions": {
                f"{EXTENSION}course-id": str(course),
                f"{EXTENSION}module-id": str(module),
                f"{EXTENSION}attempt": 2,
                "https://example.org/ext/device": {"kind": "tablet"},
            },
            "instructor": {"objectType": "Agent", "name": "Teacher"},
            "team": {"objectType": "Group", "member": []},
            "revision": "r1",
            "platform": "Example LMS",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
        },
        "timestamp": (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "stored": datetime.now(UTC).isoformat(),
        "authority": {"objectType": "Agent", "account": {"homePage": "https://lrs.example.org", "name": "x"}},
        "version": "1.0.3",
    }


def valid_compact() -> dict[str, Any]:
    """A compact statement using every field, each with a valid value."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"id": str(uuid.uuid4())},
        "verb": "answered",
        "object": {"id": f"q-{uuid.uuid4()}", "type": "question"},
        "result": {
            "score_scaled": 0.5,
            "score_raw": 5,
            "score_min": 0,
            "score_max": 10,
            "success": True,
            "completion": False,
            "response": "B",
            "duration_s": 90.5,
            "extensions": {"hint_used": True},
        },
        "context": {
            "registration": str(uuid.uuid4()),
            "course_id": str(uuid.uuid4()),
            "module_id": str(uuid.uuid4()),
            "attempt": 2,
            "extensions": {"device": {"kind": "tablet"}},
        },
        "timestamp": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }


FORMS: dict[str, Callable[[], dict[str, Any]]] = {"xapi": valid_xapi, "compact": valid_compact}
Path = tuple[str | int, ...]


def field_paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every path below ``value``: object members and list items, containers and leaves alike."""
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for key, child in children:
        yield (*prefix, key)
        yield from field_paths(child, (*prefix, key))


def mutated(statement: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(statement))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copy


def as_sent(value: Any) -> Any:
    """The statement as the server reads it: the out-of-range placeholder is infinity to Python."""
    if value == OVERFLOW_PLACEHOLDER:
        return -math.inf
    if isinstance(value, dict):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    return value


def same_json(stored: Any, sent: Any) -> bool:
    """Whether a stored payload is the one sent. jsonb keeps numbers as numeric, which reads a float such as
    1.5e308 back as the integer of the same value: a number equals the float it was sent as."""
    if isinstance(sent, float) and isinstance(stored, int | float) and not isinstance(stored, bool):
        return float(stored) == sent
    if isinstance(sent, dict) and isinstance(stored, dict):
        return sent.keys() == stored.keys() and all(same_json(stored[key], sent[key]) for key in sent)
    if isinstance(sent, list) and isinstance(stored, list):
        return len(sent) == len(stored) and all(map(same_json, stored, sent))
    return type(stored) is type(sent) and stored == sent


def body(value: Any) -> bytes:
    return json.dumps(value).replace(json.dumps(OVERFLOW_PLACEHOLDER), OVERFLOW_LITERAL).encode()


@dataclass(frozen=True)
class Case:
    form: str
    path: Path
    kind: str
    statement: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.form} {'.'.join(map(str, self.path))} <- {self.kind}"


def cases(form: str, kind: str) -> list[Case]:
    paths = list(field_paths(FORMS[form]()))
    return [Case(form, path, kind, mutated(FORMS[form](), path, MUTATIONS[kind])) for path in paths]


@pytest.fixture
def admin(client: TestClient, session: Session) -> TestClient:
    """The app, signed in as an admin (who may submit statements for any actor)."""
    client.headers.update(auth_headers(client.app.state.settings, make_user(session, role="admin")))  # type: ignore[attr-defined]
    return client


def post_batch(admin: TestClient, statements: list[Any]) -> dict[str, Any]:
    response = admin.post(
        "/api/v1/events", content=body(statements), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:2000]
    return response.json()


def quarantine_row(session: Session, quarantine_id: int) -> dict[str, Any]:
    row = (
        session.execute(
            text("select payload, payload_wrapped, reasons from event_quarantine where quarantine_id = :id"),
            {"id": quarantine_id},
        )
        .mappings()
        .one()
    )
    return dict(row)


def stored_event_ids(session: Session, event_ids: list[str]) -> set[str]:
    rows = session.execute(
        text("select event_id::text from learner_events where event_id = any(cast(:ids as uuid[]))"),
        {"ids": event_ids},
    ).scalars()
    return set(rows)


Verdict = tuple[str, Any]  # ("stored", None) or ("quarantined", its [(field, message)...])


def submit(
    admin: TestClient, session: Session, batch_cases: list[Case], *, careful: bool
) -> dict[str, Verdict]:
    """Post [good, mutated, good, mutated, ..., good] and check the answer; each case's verdict by name."""
    statements: list[Any] = [FORMS[batch_cases[0].form]()]
    for case in batch_cases:
        statements += [case.statement, FORMS[case.form]()]
    if careful:
        statements.append(mutated(valid_compact(), ("verb",), "passed\x00"))
    answer = post_batch(admin, statements)

    event_ids: list[str | None] = answer["event_ids"]
    rejections = {item["index"]: item for item in answer["rejections"]}
    goods = range(0, len(batch_cases) * 2 + 1, 2)
    assert [index for index in goods if event_ids[index] is None] == [], "a good statement was not stored"
    valid = [event_id for event_id in event_ids if event_id is not None]
    assert stored_event_ids(session, valid) == set(valid)
    assert answer["accepted"] + answer["duplicate"] == len(valid)
    assert answer["rejected"] == len(rejections) == len(event_ids) - len(valid)

    verdicts: dict[str, Verdict] = {}
    for position, case in enumerate(batch_cases):
        index = 2 * position + 1
        if event_ids[index] is not None:
            assert index not in rejections
            verdicts[case.name] = ("stored", None)
            continue
        rejection = rejections[index]
        errors = [(error["field"], error["message"]) for error in rejection["errors"]]
        assert rejection["reason"] and errors and all(field and message for field, message in errors), (
            case.name
        )
        # A reason quotes what was sent without echoing an oversized value back.
        assert all(len(message) < 2_000 for _, message in errors), case.name
        row = quarantine_row(session, rejection["quarantine_id"])
        assert same_json(unwrap(row["payload"], row["payload_wrapped"]), as_sent(case.statement)), case.name
        assert [(reason["field"], reason["message"]) for reason in row["reasons"]] == errors, case.name
        verdicts[case.name] = ("quarantined", errors)
    return verdicts


@pytest.mark.parametrize("value", [{}, {"hours": 1}, [], ["PT1S"], None, True, 90, 1.5])
def test_a_duration_of_any_json_type_is_a_reason(value: Any) -> None:
    # A cache keyed by the value once made a JSON object or array here a TypeError, and the batch a 500.
    with pytest.raises(ValueError, match="must be an ISO 8601 duration string"):
        parse_duration(value)


def test_a_score_range_wider_than_a_double_still_scales() -> None:
    # max - min overflows to infinity here; the scaled score must still be the raw score's place in it.
    assert checked_score(None, 0.0, -1.5e308, 1.5e308, "result.score_") == 0.5
    assert checked_score(None, 1.5e308, -1.5e308, 1.5e308, "result.score_") == 1.0


# Parts of an xAPI statement that are accepted and never kept (see skillstudio.events.xapi): anything goes.
IGNORED = {("authority",), ("stored",), ("context", "instructor"), ("context", "team"),
           ("context", "statement"), ("object", "definition", "name")}  # fmt: skip


def must_reject(case: Case) -> bool:
    """Mutations no reading of either form may accept (the others may be accepted, say ``0`` as ``false``)."""
    if any(case.path[: len(part)] == part for part in IGNORED):
        return False
    if case.kind == "number beyond double range":
        return True  # typed fields refuse infinity, and extensions cannot be stored with it
    if "extensions" in case.path:
        return False
    original: Any = FORMS[case.form]()
    for key in case.path:
        original = original[key]
    replaced_by_container = isinstance(MUTATIONS[case.kind], dict | list)
    leaf = not isinstance(original, dict | list)
    return (leaf and replaced_by_container) or (case.form == "xapi" and MUTATIONS[case.kind] is None)


def resubmit(admin: TestClient, quarantine_id: int, statement: Any) -> Any:
    return admin.post(
        f"/api/v1/admin/quarantine/{quarantine_id}/resubmit",
        content=body(statement),
        headers={"content-type": "application/json"},
    )


def check_resubmissions(admin: TestClient, batch_cases: list[Case], verdicts: dict[str, Verdict]) -> None:
    """Each mutated statement as the correction of a quarantined one: the batch's verdict, never a 5xx."""
    entries = iter(
        item["quarantine_id"] for item in post_batch(admin, [42] * (len(batch_cases) + 1))["rejections"]
    )
    kept_for_invalid = next(entries)
    for case in batch_cases:
        verdict, errors = verdicts[case.name]
        if case.kind == "number beyond double range":
            # A correction is kept as sent, and jsonb cannot hold the infinity the number was read as.
            response = resubmit(admin, kept_for_invalid, case.statement)
            assert response.status_code == 422 and "beyond" in response.json()["detail"], case.name
        elif verdict == "stored":
            response = resubmit(admin, next(entries), case.statement)
            assert response.status_code == 200, (case.name, response.text[:500])
            assert response.json()["event_id"] and response.json()["resolved_at"], case.name
        else:
            response = resubmit(admin, kept_for_invalid, case.statement)
            assert response.status_code == 422, (case.name, response.text[:500])
            assert [(error["field"], error["message"]) for error in response.json()["errors"]] == errors


def test_every_field_turned_into_every_json_type_is_stored_or_quarantined(
    admin: TestClient, session: Session
) -> None:
    total = rejected = 0
    for form in FORMS:
        for kind in MUTATIONS:
            batch_cases = cases(form, kind)
            verdicts = submit(admin, session, batch_cases, careful=kind == CAREFUL)
            if kind != CAREFUL:
                # The careful path must come to the same conclusions as the fast one, reasons included.
                assert submit(admin, session, batch_cases, careful=True) == verdicts
            wrongly_stored = [
                case.name for case in batch_cases if must_reject(case) and verdicts[case.name][0] == "stored"
            ]
            assert wrongly_stored == []
            check_resubmissions(admin, batch_cases, verdicts)
            total += len(batch_cases)
            rejected += sum(verdict == "quarantined" for verdict, _ in verdicts.values())
    # Every path of both forms met every kind, and most mutations broke the statement.
    assert total == len(MUTATIONS) * sum(len(list(field_paths(make()))) for make in FORMS.values())
    assert rejected > total / 2
