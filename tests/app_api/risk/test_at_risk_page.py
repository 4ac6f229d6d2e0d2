"""The at-risk page PostgreSQL builds: one statement per request, and the document ``AtRiskPage`` would
write from the same rows (keys in the model's order, exact floats, UTC timestamps, escaped names)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app_api.risk.schemas import AtRiskLearner, AtRiskPage, RiskReason
from app_api.users.models import User
from tests.app_api.risk.scores import MISSED, NO_ACTIVITY, band, store_score
from tests.app_api.risk.world import risk_world
from tests.factories import auth_headers, make_user

API = "/api/v1"
UNKNOWN_YET = {"feature": "mean_score", "value": None, "contribution": -0.25, "text": "no score yet"}


def headers(client: TestClient, user: User) -> dict[str, str]:
    return auth_headers(client.app.state.settings, user)  # type: ignore[attr-defined]


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements sent on the test's connection while the block runs."""
    sent: list[str] = []
    connection = session.connection()

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_the_page_is_one_statement_and_the_document_the_model_writes(
    client: TestClient, session: Session
) -> None:
    world = risk_world(session, learners=3)
    world.learners[0].display_name = 'Zoë "Z" O\'Neil \\ <b>'
    session.flush()
    # Floats that only an exact (shortest round-trip) form keeps; a timestamp without a fraction.
    stored = [
        (0.1 + 0.2 + 0.4, [NO_ACTIVITY, MISSED], datetime(2026, 11, 30, 6, 0, tzinfo=UTC)),
        (1 / 3 + 0.3, [UNKNOWN_YET], datetime(2026, 11, 30, 6, 0, 1, 250, tzinfo=UTC)),
        (0.1 + 0.2, [], datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=UTC)),
    ]
    for enrollment, (risk, reasons, scored_at) in zip(world.enrollments, stored, strict=True):
        store_score(
            session, enrollment_id=enrollment.enrollment_id, course_id=world.course.course_id, risk=risk,
            reasons=reasons, scored_at=scored_at,
        )  # fmt: skip
    # The document is the same whatever time zone the database session is in.
    session.execute(text("set local time zone 'America/St_Johns'"))
    url = f"{API}/courses/{world.course.course_id}/at-risk"
    with statements(session) as sent:
        response = client.get(
            url, params={"min_risk": 0, "limit": 2}, headers=headers(client, world.instructor)
        )
    assert response.status_code == 200, response.text
    assert len(sent) == 1, sent

    by_risk = sorted(
        zip(world.enrollments, world.learners, stored, strict=True), key=lambda row: row[2][0], reverse=True
    )
    expected = AtRiskPage(
        course_id=world.course.course_id,
        min_risk=0.0,
        items=[
            AtRiskLearner(
                enrollment_id=enrollment.enrollment_id,
                user_id=learner.user_id,
                display_name=learner.display_name,
                probability=1.0 - risk,
                risk=risk,
                band=band(risk),  # type: ignore[arg-type]
                reasons=[RiskReason.model_validate(reason) for reason in reasons],
                day_k=30,
                scored_at=scored_at,
            )
            for enrollment, learner, (risk, reasons, scored_at) in by_risk[:2]
        ],
        next_cursor=None,
    )
    body = json.loads(response.text)
    assert body["next_cursor"] is not None
    written = json.loads(expected.model_copy(update={"next_cursor": body["next_cursor"]}).model_dump_json())
    assert body == written
    # Same keys in the same order, down to the reasons; timestamps as pydantic writes them.
    assert list(body) == list(written)
    assert [list(item) for item in body["items"]] == [list(item) for item in written["items"]]
    assert [list(reason) for reason in body["items"][0]["reasons"]] == [list(RiskReason.model_fields)] * 2
    assert [item["scored_at"] for item in body["items"]] == [
        "2026-11-30T06:00:00Z",
        "2026-11-30T06:00:01.000250Z",
    ]

    # The cursor continues with the last learner, and says there is no page after it.
    rest = client.get(
        url,
        params={"min_risk": 0, "limit": 2, "cursor": body["next_cursor"]},
        headers=headers(client, world.instructor),
    ).json()
    assert [item["enrollment_id"] for item in rest["items"]] == [str(by_risk[2][0].enrollment_id)]
    assert rest["items"][0]["reasons"] == [] and rest["items"][0]["risk"] == 0.1 + 0.2
    assert rest["next_cursor"] is None


def test_an_empty_page_and_the_errors_keep_their_order(client: TestClient, session: Session) -> None:
    world = risk_world(session, learners=1)
    url = f"{API}/courses/{world.course.course_id}/at-risk"
    empty = client.get(url, headers=headers(client, world.instructor))
    assert empty.json() == {
        "items": [], "next_cursor": None, "course_id": str(world.course.course_id), "min_risk": 0.6,
    }  # fmt: skip
    # Unknown course 404, then not its instructor 403, and only then a cursor that is not ours 400.
    bad = {"cursor": "bm90LW91cnM"}
    unknown = client.get(
        f"{API}/courses/{world.quiz.assessment_id}/at-risk",
        params=bad,
        headers=headers(client, world.instructor),
    )
    other = client.get(url, params=bad, headers=headers(client, make_user(session, role="instructor")))
    own = client.get(url, params=bad, headers=headers(client, world.instructor))
    assert [unknown.status_code, other.status_code, own.status_code] == [404, 403, 400]
    assert all(
        r.headers["content-type"].startswith("application/problem+json") for r in (unknown, other, own)
    )
    admin = client.get(url, params={"min_risk": 0}, headers=headers(client, make_user(session, role="admin")))
    assert admin.status_code == 200 and admin.json()["min_risk"] == 0.0
