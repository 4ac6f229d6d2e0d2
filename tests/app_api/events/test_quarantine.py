"""The quarantine: bad statements are kept as sent with their reasons, and admins can resubmit them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.events import service
from skillstudio.events.contract import VERB_BY_IRI, VERBS
from skillstudio.events.quarantine import storable, unwrap
from tests.factories import auth_headers, make_user

ADMIN: dict[str, str] = {}


@pytest.fixture
def admin_client(client: TestClient, session: Session) -> Iterator[TestClient]:
    """The app, with ADMIN holding an admin account's bearer header for this test."""
    admin = make_user(session, role="admin")
    ADMIN.update(auth_headers(client.app.state.settings, admin))  # type: ignore[attr-defined]
    yield client
    ADMIN.clear()


def statement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": {"id": str(uuid.uuid4())},
        "verb": "experienced",
        "object": {"id": str(uuid.uuid4()), "type": "lesson"},
        "timestamp": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


def quarantined(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("select * from event_quarantine order by quarantine_id")).mappings().all()
    return [dict(row) for row in rows]


def test_bad_statements_are_kept_as_sent_with_reasons(client: TestClient, session: Session) -> None:
    good = statement()
    wrong_verb = statement(verb="teleported", note="kept verbatim, unknown field and all")
    batch: list[Any] = [good, wrong_verb, 42, ["a", "list"], None, statement(actor={"id": "not-a-uuid"})]
    body = client.post("/api/v1/events", json=batch).json()
    assert (body["accepted"], body["rejected"]) == (1, 5)

    rows = quarantined(session)
    assert [row["batch_index"] for row in rows] == [1, 2, 3, 4, 5]
    assert [row["quarantine_id"] for row in rows] == [item["quarantine_id"] for item in body["rejections"]]
    assert [unwrap(row["payload"], row["payload_wrapped"]) for row in rows] == batch[1:]
    assert rows[0]["payload"] == wrong_verb and rows[0]["payload_wrapped"] is False
    assert (rows[1]["payload"], rows[1]["payload_wrapped"]) == ({"value": 42}, True)
    assert rows[2]["payload"] == {"value": ["a", "list"]} and rows[3]["payload"] == {"value": None}
    assert {reason["field"] for reason in rows[0]["reasons"]} == {"verb", "note"}
    assert rows[4]["reasons"] == [
        {"field": "actor.id", "message": body["rejections"][4]["errors"][0]["message"]}
    ]
    assert (
        "not a number" in rows[1]["reasons"][0]["message"]
        and "not an array" in rows[2]["reasons"][0]["message"]
    )
    received = session.execute(text("select received_at from learner_events")).scalar_one()
    assert {row["received_at"] for row in rows} == {received}
    assert all(row["resolved_at"] is None and row["event_id"] is None for row in rows)


def test_statements_postgres_cannot_hold_are_quarantined_losslessly(
    client: TestClient, session: Session
) -> None:
    with_nul = statement(result={"response": "a\x00b"})
    body = client.post("/api/v1/events", json=[with_nul, statement()]).json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert "U+0000" in body["rejections"][0]["reason"]
    (row,) = quarantined(session)
    assert row["payload_wrapped"] is True and set(row["payload"]) == {"json"}
    assert unwrap(row["payload"], row["payload_wrapped"]) == with_nul

    # NaN is not JSON: the whole body is refused rather than half-read.
    not_json = client.post(
        "/api/v1/events", content=b'[{"x": NaN}]', headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["field"] == "body"


def test_storable_and_unwrap_are_inverse() -> None:
    for payload in [{"a": 1}, "text", 3.5, [1, {"b": None}], None, {"nul": "\x00"}, ["\x00"]]:
        assert unwrap(*storable(payload)) == payload


def test_accepted_and_quarantined_rows_share_one_transaction(session: Session) -> None:
    savepoint = session.begin_nested()
    result = service.ingest(
        session=session, statements=[statement(), statement(verb="nope")], received_at=datetime.now(UTC)
    )
    assert (result.accepted, result.rejected) == (1, 1)
    counts = "select (select count(*) from learner_events), (select count(*) from event_quarantine)"
    assert session.execute(text(counts)).one() == (1, 1)
    savepoint.rollback()
    assert session.execute(text(counts)).one() == (0, 0)


def test_admin_lists_newest_first_page_by_page(admin_client: TestClient) -> None:
    for batch in range(3):
        admin_client.post("/api/v1/events", json=[statement(verb=f"bad-{batch}-{n}") for n in range(2)])
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = admin_client.get("/api/v1/admin/quarantine", params=params, headers=ADMIN).json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert [item["payload"]["verb"] for item in seen] == [f"bad-{b}-{n}" for b in (2, 1, 0) for n in (1, 0)]
    ids = [item["quarantine_id"] for item in seen]
    assert ids == sorted(ids, reverse=True)
    assert seen[0]["reasons"][0]["field"] == "verb"

    one = admin_client.get(f"/api/v1/admin/quarantine/{ids[-1]}", headers=ADMIN)
    assert one.status_code == 200 and one.json() == seen[-1]
    missing = admin_client.get("/api/v1/admin/quarantine/987654321", headers=ADMIN)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad_cursor = admin_client.get("/api/v1/admin/quarantine", params={"cursor": "abc"}, headers=ADMIN)
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.json()["detail"]


def test_resubmitting_a_fixed_statement_stores_it_and_keeps_the_audit_row(
    admin_client: TestClient, session: Session
) -> None:
    learner = str(uuid.uuid4())
    broken = statement(actor={"id": learner}, verb="finished")
    quarantine_id = admin_client.post("/api/v1/events", json=[broken]).json()["rejections"][0][
        "quarantine_id"
    ]

    still_bad = admin_client.post(
        f"/api/v1/admin/quarantine/{quarantine_id}/resubmit", json=broken | {"verb": "done"}, headers=ADMIN
    )
    assert still_bad.status_code == 422
    assert still_bad.json()["errors"][0]["field"] == "verb"
    assert "unknown verb 'done'" in still_bad.json()["errors"][0]["message"]
    assert quarantined(session)[0]["resolved_at"] is None

    fixed = broken | {"verb": "completed"}
    response = admin_client.post(
        f"/api/v1/admin/quarantine/{quarantine_id}/resubmit", json=fixed, headers=ADMIN
    )
    assert response.status_code == 200
    entry = response.json()
    assert entry["resolved_at"] is not None and entry["event_id"] is not None
    assert entry["payload"] == broken and entry["corrected_payload"] == fixed
    event = admin_client.get(f"/api/v1/events/{entry['event_id']}").json()
    assert (event["actor"]["account"]["name"], event["verb"]["id"]) == (learner, VERBS["completed"])

    again = admin_client.post(f"/api/v1/admin/quarantine/{quarantine_id}/resubmit", headers=ADMIN)
    assert again.status_code == 409 and entry["event_id"] in again.json()["detail"]
    unresolved = admin_client.get("/api/v1/admin/quarantine", headers=ADMIN).json()["items"]
    resolved = admin_client.get(
        "/api/v1/admin/quarantine", params={"status": "resolved"}, headers=ADMIN
    ).json()
    assert unresolved == [] and [item["quarantine_id"] for item in resolved["items"]] == [quarantine_id]
    everything = admin_client.get("/api/v1/admin/quarantine", params={"status": "all"}, headers=ADMIN).json()
    assert len(everything["items"]) == 1


def test_resubmitting_as_is_after_the_vocabulary_grew(
    admin_client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    iri = "http://id.tincanapi.com/verb/bookmarked"
    sent = statement(verb=iri)
    quarantine_id = admin_client.post("/api/v1/events", json=[sent]).json()["rejections"][0]["quarantine_id"]
    unchanged = admin_client.post(f"/api/v1/admin/quarantine/{quarantine_id}/resubmit", headers=ADMIN)
    assert unchanged.status_code == 422 and "unknown verb" in unchanged.json()["errors"][0]["message"]

    monkeypatch.setitem(VERBS, "bookmarked", iri)
    monkeypatch.setitem(VERB_BY_IRI, iri, "bookmarked")
    response = admin_client.post(f"/api/v1/admin/quarantine/{quarantine_id}/resubmit", headers=ADMIN)
    assert response.status_code == 200 and response.json()["corrected_payload"] is None
    verb = session.execute(
        text("select verb from learner_events where event_id = :id"), {"id": response.json()["event_id"]}
    ).scalar_one()
    assert verb == "bookmarked"


def test_resubmitting_an_unknown_entry_or_garbage_body(admin_client: TestClient) -> None:
    assert admin_client.post("/api/v1/admin/quarantine/987654321/resubmit", headers=ADMIN).status_code == 404
    quarantine_id = admin_client.post("/api/v1/events", json=[7]).json()["rejections"][0]["quarantine_id"]
    garbage = admin_client.post(
        f"/api/v1/admin/quarantine/{quarantine_id}/resubmit",
        content=b"{not json",
        headers=ADMIN | {"content-type": "application/json"},
    )
    assert garbage.status_code == 422 and "must be a JSON statement" in garbage.json()["detail"]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("learner", 403), ("instructor", 403)])
def test_admin_routes_refuse_everyone_but_admins(
    client: TestClient, session: Session, role: str | None, status: int
) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.headers.pop("Authorization", None)  # drop the admin default of this module
    headers = auth_headers(settings, make_user(session, role=role)) if role else {}
    for method, path in [("GET", "/api/v1/admin/quarantine"), ("GET", "/api/v1/admin/quarantine/1"),
                         ("POST", "/api/v1/admin/quarantine/1/resubmit")]:  # fmt: skip
        response = client.request(method, path, headers=headers)
        assert response.status_code == status, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
