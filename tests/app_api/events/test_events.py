"""Event intake over HTTP: COPY-backed, idempotent, one reason per rejected statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.db import driver_connection
from skillstudio.events.contract import EVENT_COLUMNS, VERBS, Statement, event_row
from skillstudio.events.iso_duration import format_duration, parse_duration
from skillstudio.events.store import write_events
from tests.factories import auth_headers, make_user


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
    quarantined = session.execute(
        text("select quarantine_id, batch_index from event_quarantine order by batch_index")
    ).all()
    assert [index for _, index in quarantined] == [1, 2, 3, 4, 5, 6]
    assert [item["quarantine_id"] for item in body["rejections"]] == [qid for qid, _ in quarantined]


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


# --- xAPI 1.0.3 statements, as LRS tools send them -------------------------------------------------------

ACTIVITY = "https://skillstudio.dev/xapi/activities"
EXTENSION = "https://skillstudio.dev/xapi/extensions"


def lrs_statement(**overrides: Any) -> dict[str, Any]:
    """A statement shaped like the ones real LRS tools forward (names and definitions included)."""
    course, module = uuid.uuid4(), uuid.uuid4()
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "Learner 42",
            "account": {"homePage": "https://lms.example.org", "name": str(uuid.uuid4())},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lms.example.org/items/q-17",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "name": {"en-US": "Which join keeps unmatched rows?"},
                "interactionType": "choice",
            },
        },
        "result": {
            "score": {"scaled": 0.75, "raw": 3, "min": 0, "max": 4},
            "success": True,
            "completion": True,
            "response": "left-outer",
            "duration": "PT1M30.5S",
            "extensions": {"https://w3id.org/xapi/video/extensions/time": 12.5},
        },
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {
                "parent": [
                    {
                        "id": f"https://lms.example.org/modules/{module}",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/module"},
                    }
                ],
                "grouping": [
                    {
                        "objectType": "Activity",
                        "id": f"https://lms.example.org/courses/{course}",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
                    }
                ],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
            },
            "extensions": {f"{EXTENSION}/attempt": 2, "https://lms.example.org/ext/hint-used": True},
            "platform": "Moodle",
            "language": "en-US",
        },
        "timestamp": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "version": "1.0.3",
    }
    body.update(overrides)
    return body


def row_of(session: Session, event_id: str) -> dict[str, Any]:
    return dict(
        session.execute(text("select * from learner_events where event_id = :id"), {"id": event_id})
        .mappings()
        .one()
    )


def reduced(activities: dict[str, Any]) -> dict[str, list[tuple[str, str | None]]]:
    """Context activities compared by what they mean: id and type, a single one read as a list."""
    return {
        key: [
            (item["id"], item.get("definition", {}).get("type"))
            for item in (value if isinstance(value, list) else [value])
        ]
        for key, value in activities.items()
    }


def test_an_lrs_statement_round_trips_through_post_and_get(client: TestClient, session: Session) -> None:
    sent = lrs_statement()
    posted = client.post("/api/v1/events", json=[sent]).json()
    assert (posted["accepted"], posted["rejected"]) == (1, 0)
    assert posted["event_ids"] == [sent["id"]]

    response = client.get(f"/api/v1/events/{sent['id']}")
    assert response.status_code == 200
    assert response.headers["x-experience-api-version"] == "1.0.3"
    got = response.json()
    assert got["id"] == sent["id"]
    assert got["actor"]["account"]["name"] == sent["actor"]["account"]["name"]
    assert got["actor"]["objectType"] == "Agent" and "name" not in got["actor"]
    assert got["verb"] == {"id": sent["verb"]["id"], "display": {"en-US": "answered"}}
    assert got["object"] == {
        "objectType": "Activity",
        "id": sent["object"]["id"],
        "definition": {"type": sent["object"]["definition"]["type"]},
    }
    assert got["result"] == {
        "score": {"scaled": 0.75, "raw": 3.0, "min": 0.0, "max": 4.0},
        "success": True,
        "completion": True,
        "response": "left-outer",
        "duration": "PT1M30.5S",
        "extensions": sent["result"]["extensions"],
    }
    assert got["context"]["registration"] == sent["context"]["registration"]
    assert reduced(got["context"]["contextActivities"]) == reduced(sent["context"]["contextActivities"])
    assert got["context"]["extensions"] == sent["context"]["extensions"]
    assert datetime.fromisoformat(got["timestamp"]) == datetime.fromisoformat(sent["timestamp"])
    assert datetime.fromisoformat(got["stored"]) >= datetime.fromisoformat(got["timestamp"])
    assert got["version"] == "1.0.3"

    # What GET answers is the same statement: sending it back is a duplicate of the stored event.
    again = client.post("/api/v1/events", json=[got]).json()
    assert (again["accepted"], again["duplicate"], again["event_ids"]) == (0, 1, [sent["id"]])


def test_xapi_fields_land_in_their_columns(client: TestClient, session: Session) -> None:
    sent = lrs_statement()
    client.post("/api/v1/events", json=[sent])
    row = row_of(session, sent["id"])
    grouping = sent["context"]["contextActivities"]["grouping"][0]["id"]
    parent = sent["context"]["contextActivities"]["parent"][0]["id"]
    assert row["actor_id"] == uuid.UUID(sent["actor"]["account"]["name"])
    assert (row["verb"], row["object_type"], row["object_id"]) == (
        "answered",
        "question",
        sent["object"]["id"],
    )
    assert row["course_id"] == uuid.UUID(grouping.rsplit("/", 1)[1])
    assert row["module_id"] == uuid.UUID(parent.rsplit("/", 1)[1])
    assert row["registration"] == uuid.UUID(sent["context"]["registration"])
    assert row["attempt"] == 2
    assert (row["score_scaled"], row["score_raw"], row["score_min"], row["score_max"]) == (0.75, 3, 0, 4)
    assert (row["success"], row["completion"], row["response"], row["duration_s"]) == (
        True,
        True,
        "left-outer",
        90.5,
    )
    assert row["extensions"] == {"https://lms.example.org/ext/hint-used": True}
    assert row["result_extensions"] == {"https://w3id.org/xapi/video/extensions/time": 12.5}
    assert row["occurred_at"] == datetime.fromisoformat(sent["timestamp"])
    assert row["received_at"] >= row["occurred_at"]


def test_compact_and_xapi_forms_of_one_action_are_one_event(client: TestClient, session: Session) -> None:
    learner, lesson, course, enrollment = (str(uuid.uuid4()) for _ in range(4))
    at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    compact = {
        "actor": {"id": learner},
        "verb": "completed",
        "object": {"id": lesson, "type": "lesson"},
        "result": {"completion": True, "duration_s": 540, "extensions": {"notes": 3}},
        "context": {
            "course_id": course,
            "registration": enrollment,
            "attempt": 1,
            "extensions": {"device": "ios"},
        },
        "timestamp": at,
    }
    xapi = {
        "actor": {"objectType": "Agent", "account": {"homePage": "https://skillstudio.dev", "name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {
            "id": f"{ACTIVITY}/lesson/{lesson}",
            "definition": {"type": "http://adlnet.gov/expapi/activities/lesson"},
        },
        "result": {"completion": True, "duration": "PT9M", "extensions": {f"{EXTENSION}/notes": 3}},
        "context": {
            "registration": enrollment,
            "contextActivities": {
                "parent": {
                    "objectType": "Activity",
                    "id": f"{ACTIVITY}/course/{course}",
                    "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
                }
            },
            "extensions": {f"{EXTENSION}/attempt": 1, f"{EXTENSION}/device": "ios"},
        },
        "timestamp": at,
    }
    first = client.post("/api/v1/events", json=[compact]).json()
    second = client.post("/api/v1/events", json=[xapi]).json()
    assert (first["accepted"], second["accepted"], second["duplicate"]) == (1, 0, 1)
    assert first["event_ids"] == second["event_ids"]
    row = row_of(session, first["event_ids"][0])
    assert (row["object_id"], row["course_id"], row["attempt"]) == (lesson, uuid.UUID(course), 1)
    assert (row["extensions"], row["result_extensions"], row["context_activities"]) == (
        {"device": "ios"},
        {"notes": 3},
        None,
    )
    converted = Statement.model_validate(compact).to_row(received_at=row["received_at"])
    assert converted == tuple(row.values())


def test_a_compact_event_is_answered_as_canonical_xapi(client: TestClient) -> None:
    sent = statement(
        object={"id": "lesson 7/intro", "type": "lesson"},
        result={"duration_s": 3725.25, "completion": True},
        context={"course_id": str(uuid.uuid4()), "module_id": str(uuid.uuid4()), "extensions": {"clicks": 4}},
    )
    event_id = client.post("/api/v1/events", json=[sent]).json()["event_ids"][0]
    got = client.get(f"/api/v1/events/{event_id}").json()
    assert got["actor"]["account"] == {"homePage": "https://skillstudio.dev", "name": sent["actor"]["id"]}
    assert got["verb"]["id"] == VERBS["experienced"]
    assert got["object"]["id"] == f"{ACTIVITY}/lesson/lesson%207%2Fintro"
    assert got["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/lesson"
    assert got["result"] == {"completion": True, "duration": "PT1H2M5.25S"}
    module, course = sent["context"]["module_id"], sent["context"]["course_id"]
    assert got["context"]["contextActivities"] == {
        "parent": [
            {
                "objectType": "Activity",
                "id": f"{ACTIVITY}/module/{module}",
                "definition": {"type": "http://adlnet.gov/expapi/activities/module"},
            }
        ],
        "grouping": [
            {
                "objectType": "Activity",
                "id": f"{ACTIVITY}/course/{course}",
                "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
            }
        ],
    }
    assert got["context"]["extensions"] == {f"{EXTENSION}/clicks": 4}
    assert "registration" not in got["context"]
    again = client.post("/api/v1/events", json=[got]).json()
    assert again["duplicate"] == 1


def test_unknown_event_is_a_404_problem(client: TestClient) -> None:
    missing = uuid.uuid4()
    response = client.get(f"/api/v1/events/{missing}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert str(missing) in response.json()["detail"]


def test_actors_named_by_email_or_openid_are_rejected_and_quarantined(
    client: TestClient, session: Session
) -> None:
    identifiers = [
        {"mbox": "mailto:ada@example.org"},
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"openid": "https://openid.example.org/ada"},
        {
            "mbox": "mailto:ada@example.org",
            "account": {"homePage": "https://lms.example.org", "name": str(uuid.uuid4())},
        },
    ]
    batch = [lrs_statement(actor={"objectType": "Agent", **identifier}) for identifier in identifiers]
    body = client.post("/api/v1/events", json=batch).json()
    assert (body["accepted"], body["rejected"]) == (0, 4)
    for rejection, identifier in zip(body["rejections"], identifiers, strict=True):
        personal = [key for key in identifier if key != "account"][0]
        messages = {error["field"]: error["message"] for error in rejection["errors"]}
        assert "pseudonymous accounts only, never emails" in messages[f"actor.{personal}"]
    assert stored(session) == 0
    kept = session.execute(text("select payload from event_quarantine order by batch_index")).scalars().all()
    assert kept == batch


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        ("PT1M30.5S", 90.5),
        ("PT0S", 0.0),
        ("P1DT2H", 93_600.0),
        ("PT1,5S", 1.5),
        ("P1W", 604_800.0),
        ("PT2H", 7200.0),
    ],
)
def test_iso_durations_are_read_as_seconds(
    client: TestClient, session: Session, duration: str, seconds: float
) -> None:
    sent = lrs_statement(result={"duration": duration})
    client.post("/api/v1/events", json=[sent])
    assert row_of(session, sent["id"])["duration_s"] == seconds


@pytest.mark.parametrize(
    ("duration", "reason"),
    [
        ("P1M", "no fixed length"),
        ("P1Y2D", "no fixed length"),
        ("1:30", "not an ISO 8601 duration"),
        ("PT", "not an ISO 8601 duration"),
        (90, "must be an ISO 8601 duration string"),
    ],
)
def test_bad_durations_are_rejected_with_a_reason(client: TestClient, duration: Any, reason: str) -> None:
    body = client.post("/api/v1/events", json=[lrs_statement(result={"duration": duration})]).json()
    (rejection,) = body["rejections"]
    assert rejection["errors"][0]["field"] == "result.duration"
    assert reason in rejection["errors"][0]["message"]


def test_durations_are_written_back_to_the_millisecond() -> None:
    cases = {
        0.0: "PT0S",
        0.5: "PT0.5S",
        90.5: "PT1M30.5S",
        540: "PT9M",
        3600.25: "PT1H0.25S",
        93_600: "PT26H",
    }
    assert {seconds: format_duration(seconds) for seconds in cases} == cases
    assert all(parse_duration(text) == seconds for seconds, text in cases.items())


def context_with(**context: Any) -> dict[str, Any]:
    return lrs_statement(context=context)


def test_course_and_module_come_from_context_activities_or_extensions(
    client: TestClient, session: Session
) -> None:
    course, module = uuid.uuid4(), uuid.uuid4()
    course_type, module_type = (
        f"http://adlnet.gov/expapi/activities/{kind}" for kind in ("course", "module")
    )
    single_parent = context_with(
        contextActivities={"parent": {"id": f"urn:lms:course:{course}", "definition": {"type": course_type}}}
    )
    by_extension = context_with(
        extensions={f"{EXTENSION}/course-id": str(course), f"{EXTENSION}/module-id": str(module)}
    )
    canonical = context_with(
        contextActivities={
            "parent": [
                {
                    "objectType": "Activity",
                    "id": f"{ACTIVITY}/module/{module}",
                    "definition": {"type": module_type},
                }
            ],
            "grouping": [
                {
                    "objectType": "Activity",
                    "id": f"{ACTIVITY}/course/{course}",
                    "definition": {"type": course_type},
                }
            ],
        }
    )
    untyped_canonical = context_with(contextActivities={"grouping": [{"id": f"{ACTIVITY}/course/{course}/"}]})
    batch = [single_parent, by_extension, canonical, untyped_canonical]
    body = client.post("/api/v1/events", json=batch).json()
    assert body["accepted"] == 4, body["rejections"]
    rows = [row_of(session, item["id"]) for item in batch]
    assert [(row["course_id"], row["module_id"]) for row in rows] == [
        (course, None),
        (course, module),
        (course, module),
        (course, None),
    ]
    # Kept only when they say more than the columns: a foreign IRI, or a non-canonical shape.
    assert rows[0]["context_activities"] == {
        "parent": [
            {"objectType": "Activity", "id": f"urn:lms:course:{course}", "definition": {"type": course_type}}
        ]
    }
    assert rows[1]["context_activities"] is None and rows[2]["context_activities"] is None
    assert rows[3]["context_activities"] == {
        "grouping": [{"objectType": "Activity", "id": f"{ACTIVITY}/course/{course}/"}]
    }
    # A course that came in only as an extension beside foreign activities still comes back out.
    mixed = context_with(
        contextActivities={"category": [{"id": "https://w3id.org/xapi/video"}]},
        extensions={f"{EXTENSION}/course-id": str(course)},
    )
    client.post("/api/v1/events", json=[mixed])
    got = client.get(f"/api/v1/events/{mixed['id']}").json()["context"]
    assert got["extensions"] == {f"{EXTENSION}/course-id": str(course)}
    assert got["contextActivities"] == {
        "category": [{"objectType": "Activity", "id": "https://w3id.org/xapi/video"}]
    }


def test_impossible_context_activities_are_rejected(client: TestClient) -> None:
    course_type = "http://adlnet.gov/expapi/activities/course"
    no_uuid = context_with(
        contextActivities={
            "parent": [{"id": "https://lms.example.org/courses/sql-101", "definition": {"type": course_type}}]
        }
    )
    conflicting = context_with(
        contextActivities={
            "grouping": [
                {"id": f"https://lms.example.org/courses/{uuid.uuid4()}", "definition": {"type": course_type}}
            ]
        },
        extensions={f"{EXTENSION}/course-id": str(uuid.uuid4())},
    )
    bad_attempt = context_with(extensions={f"{EXTENSION}/attempt": 0})
    body = client.post("/api/v1/events", json=[no_uuid, conflicting, bad_attempt]).json()
    assert body["rejected"] == 3
    errors = [rejection["errors"][0] for rejection in body["rejections"]]
    assert errors[0]["field"] == "context.contextActivities.parent.0.id"
    assert "must end in the course UUID" in errors[0]["message"]
    assert errors[1]["field"] == "context.contextActivities.grouping.0.id"
    assert "also names course" in errors[1]["message"]
    assert errors[2] == {
        "field": f"context.extensions.{EXTENSION}/attempt",
        "message": "must be a whole number from 1, not 0",
    }


def test_xapi_statements_outside_the_contract_are_rejected(client: TestClient, session: Session) -> None:
    naive = lrs_statement(timestamp="2026-01-01T10:00:00")
    batch = [
        lrs_statement(verb={"id": "http://example.org/verbs/teleported"}),
        lrs_statement(
            object={"id": "https://lms.example.org/x", "definition": {"type": "http://example.org/spaceship"}}
        ),
        lrs_statement(object={"id": "https://lms.example.org/x"}),
        lrs_statement(object={"objectType": "StatementRef", "id": str(uuid.uuid4())}),
        naive,
        lrs_statement(result={"score": {"raw": 7, "min": 0, "max": 5}}),
        lrs_statement(result={"score": {"scaled": 1.5}}),
        lrs_statement(attachments=[{"usageType": "http://id.tincanapi.com/attachment/certificate"}]),
        lrs_statement(actor={"objectType": "Group", "member": []}),
    ]
    body = client.post("/api/v1/events", json=batch).json()
    assert body["rejected"] == len(batch) and stored(session) == 0
    fields = [{error["field"] for error in rejection["errors"]} for rejection in body["rejections"]]
    messages = [rejection["reason"] for rejection in body["rejections"]]
    assert "verb.id" in fields[0] and "unknown verb IRI" in messages[0]
    assert fields[1] == {"object.definition.type"} and "unknown activity type IRI" in messages[1]
    assert fields[2] == {"object.definition.type"} and "required" in messages[2]
    assert "object.objectType" in fields[3]
    assert fields[4] == {"timestamp"} and "timezone" in messages[4]
    assert fields[5] == {"result.score.raw"}
    assert fields[6] == {"result.score.scaled"}
    assert fields[7] == {"attachments"} and "not supported" in messages[7]
    assert "actor.objectType" in fields[8]


def test_scaled_score_is_derived_from_raw_min_and_max_when_absent(
    client: TestClient, session: Session
) -> None:
    sent = lrs_statement(result={"score": {"raw": 30, "min": 10, "max": 50}})
    client.post("/api/v1/events", json=[sent])
    row = row_of(session, sent["id"])
    assert (row["score_scaled"], row["score_raw"], row["score_min"], row["score_max"]) == (0.5, 30, 10, 50)


def test_writers_with_rows_of_the_first_17_columns_keep_working(session: Session) -> None:
    full = event_row(
        occurred_at=datetime.now(UTC) - timedelta(hours=1),
        actor_id=uuid.uuid4(),
        verb="answered",
        object_type="question",
        object_id="q-1",
        score_raw=3.0,
        context_activities={"category": [{"objectType": "Activity", "id": "https://w3id.org/xapi/video"}]},
    )
    legacy = event_row(
        occurred_at=datetime.now(UTC) - timedelta(hours=2), actor_id=uuid.uuid4(), verb="experienced",
        object_type="lesson", object_id="l-1", extensions={"clicks": 2},
    )[:17]  # fmt: skip
    conn = driver_connection(session)
    assert len(full) == len(EVENT_COLUMNS) == 22
    assert write_events(conn, [legacy]) == [legacy[0]]
    assert write_events(conn, iter([full])) == [full[0]]
    stored_legacy = row_of(session, str(legacy[0]))
    assert (stored_legacy["extensions"], stored_legacy["score_raw"], stored_legacy["context_activities"]) == (
        {"clicks": 2},
        None,
        None,
    )
    assert row_of(session, str(full[0]))["context_activities"] == full[-1]
    with pytest.raises(ValueError, match="17 to 22 values"):
        write_events(conn, [legacy[:16]])


def test_openapi_documents_both_statement_forms(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/events"]["post"]["requestBody"]
    forms = body["content"]["application/json"]["schema"]["items"]["anyOf"]
    assert body["required"] is True
    assert {form["title"] for form in forms} == {"Statement", "XapiStatement"}
    assert "account" in forms[1]["properties"]["actor"]["properties"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_a_skillstudio_activity_iri_is_the_same_object_in_both_forms() -> None:
    plain = statement(object={"id": "lesson 7/intro", "type": "lesson"})
    as_iri = plain | {"object": {"id": f"{ACTIVITY}/lesson/lesson%207%2Fintro", "type": "lesson"}}
    now = datetime.now(UTC)
    rows = [Statement.model_validate(body).to_row(received_at=now) for body in (plain, as_iri)]
    assert rows[0] == rows[1] and rows[0][6] == "lesson 7/intro"
    assert Statement.model_validate(as_iri).event_id() == rows[0][0]


def test_learners_submit_and_read_their_own_events_only(client: TestClient, session: Session) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    alice, bob = make_user(session), make_user(session)
    as_alice = auth_headers(settings, alice)
    own = statement(actor={"id": str(alice.user_id)})
    posted = client.post("/api/v1/events", json=[own], headers=as_alice).json()
    assert posted["accepted"] == 1

    before = stored(session)
    foreign = client.post(
        "/api/v1/events", json=[statement(actor={"id": str(alice.user_id)}), statement()], headers=as_alice
    )
    assert foreign.status_code == 403 and foreign.json()["indices"] == [1]
    assert stored(session) == before  # nothing of a refused batch is kept

    event_id = posted["event_ids"][0]
    assert client.get(f"/api/v1/events/{event_id}", headers=as_alice).status_code == 200
    assert client.get(f"/api/v1/events/{event_id}", headers=auth_headers(settings, bob)).status_code == 404
    anonymous = {"Authorization": ""}
    assert client.post("/api/v1/events", json=[own], headers=anonymous).status_code == 401
    assert client.get(f"/api/v1/events/{event_id}", headers=anonymous).status_code == 401
