"""Issue 15, point 5: a certificate on course completion, its PDF, public verification and revocation."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app_api.certificates import service
from app_api.certificates.pdf import CertificateText, render_certificate
from skillstudio.object_storage import LocalObjectStore
from tests.app_api.certificates.helpers import complete_course
from tests.app_api.integration_world import World
from tests.factories import make_user


@pytest.fixture
def world(client: TestClient, session: Session) -> World:
    return World(client, lambda role: make_user(session, role=role))


def pdf_text(data: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def qr_codes(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    image = document[0].render(scale=3).to_pil()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def events_of(session: Session, certificate_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = session.execute(
        text(
            "select verb, actor_id::text, extensions from learner_events "
            "where object_type = 'certificate' and object_id = :id order by occurred_at, verb"
        ),
        {"id": certificate_id},
    )
    return [(verb, actor, extensions) for verb, actor, extensions in rows]


# ---- issuing


def test_completing_a_course_issues_one_certificate_with_its_event(world: World, session: Session) -> None:
    certificate = complete_course(world)
    learner = world.id("learner")
    assert certificate["user_id"] == learner
    assert certificate["status"] == "valid" and certificate["rendered"] is False
    assert certificate["learner_name"] == world.users["learner"].display_name
    assert certificate["instructor_name"] == world.users["instructor"].display_name
    code = certificate["verification_code"]
    assert len(code) == 24 and code.replace("-", "").replace("_", "").isalnum()
    assert certificate["verification_url"] == f"{world.settings.public_url}/app/verify/{code}"
    assert [(verb, actor) for verb, actor, _ in events_of(session, certificate["certificate_id"])] == [
        ("earned", learner)
    ]


def _told(session: Session, learner: str) -> list[Any]:
    # Only the certificate's message: completing a course also levels up and unlocks badges.
    return list(
        session.execute(
            text(
                "select n.kind, n.link, e.to_address, e.body_text from notifications n "
                "left join email_outbox e using (notification_id) "
                "where n.user_id = :u and n.kind = 'certificate_issued'"
            ),
            {"u": learner},
        )
    )


def test_the_learner_is_told_by_email_once_the_pdf_is_drawn(world: World, session: Session) -> None:
    certificate = complete_course(world)
    learner = world.id("learner")
    assert _told(session, learner) == [], "no message points at a PDF not drawn yet"
    for _ in range(2):
        world.call("learner", "GET", f"/certificates/{certificate['certificate_id']}/pdf")
    (told,) = _told(session, learner)
    code = certificate["verification_code"]
    assert told.kind == "certificate_issued"
    assert told.link == certificate["verification_url"]
    assert told.to_address == world.users["learner"].email
    assert f"/app/verify/{code}" in told.body_text


def test_codes_differ_and_a_second_issue_of_one_enrollment_is_refused(world: World, session: Session) -> None:
    first, second = complete_course(world), complete_course(world)
    assert first["verification_code"] != second["verification_code"]
    again = service.issue(
        session, enrollment_id=uuid.UUID(first["enrollment_id"]), issued_at=datetime.now(UTC)
    )
    assert again is None
    count = session.scalar(
        text("select count(*) from certificates where enrollment_id = :e"), {"e": first["enrollment_id"]}
    )
    assert count == 1


def test_an_unfinished_course_has_no_certificate(world: World) -> None:
    course = world.course(lessons=2)
    enrollment = world.enroll(course)
    lesson = world.lessons(course)[0]
    path = f"/enrollments/{enrollment['enrollment_id']}/lessons/{lesson['lesson_id']}/progress"
    world.ok("learner", "POST", path, json={"percent": 100})
    assert world.ok("learner", "GET", "/me/certificates")["items"] == []


def test_the_chosen_display_name_is_printed(world: World) -> None:
    learner = world.id("learner")
    body = {"preferences": {"display_name": "  Ada Lovelace, Countess  "}}
    world.ok("learner", "PATCH", f"/learners/{learner}/profile", json=body)
    profile = world.ok("learner", "GET", f"/learners/{learner}/profile")
    assert profile["preferences"]["display_name"] == "Ada Lovelace, Countess"
    certificate = complete_course(world)
    assert certificate["learner_name"] == "Ada Lovelace, Countess"
    data = world.call("learner", "GET", f"/certificates/{certificate['certificate_id']}/pdf").content
    assert "Ada Lovelace, Countess" in pdf_text(data)


def test_a_display_name_with_control_characters_is_refused(world: World) -> None:
    learner = world.id("learner")
    response = world.call(
        "learner", "PATCH", f"/learners/{learner}/profile", json={"preferences": {"display_name": "A\x00B"}}
    )
    assert response.status_code == 422


# ---- the PDF


def test_the_pdf_says_who_what_when_and_its_qr_code_is_the_verification_url(
    world: World, session: Session
) -> None:
    certificate = complete_course(world, title="Window functions in practice")
    response = world.call("learner", "GET", f"/certificates/{certificate['certificate_id']}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    words = pdf_text(response.content)
    for expected in (
        certificate["learner_name"],
        "Window functions in practice",
        f"Instructor: {world.users['instructor'].display_name}",
        f"Completed on {certificate['issued_at'][:10]}",
        certificate["verification_code"],
    ):
        assert expected in words, (expected, words)
    assert world.users["learner"].email not in words
    assert qr_codes(response.content) == [certificate["verification_url"]]
    # Drawn on this first download (the worker had not run): stored, with its event.
    after = world.ok("learner", "GET", f"/certificates/{certificate['certificate_id']}")
    assert after["rendered"] is True
    verbs = [
        (verb, extensions.get("fields"))
        for verb, _, extensions in events_of(session, after["certificate_id"])
    ]
    assert verbs == [("earned", None), ("updated", ["pdf"])]
    again = world.call("learner", "GET", f"/certificates/{certificate['certificate_id']}/pdf")
    assert again.content == response.content
    assert len(events_of(session, after["certificate_id"])) == 2, "a stored PDF is not drawn again"


@contextmanager
def _in_test_transaction(session: Session) -> Iterator[Session]:
    with session.begin_nested():
        yield session


class _Factory:
    """A session factory whose transactions are savepoints of the test's (the worker commits per batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def begin(self) -> Any:
        return _in_test_transaction(self.session)


def test_the_worker_draws_pending_certificates_into_the_store(
    world: World, session: Session, tmp_path: Path
) -> None:
    certificate = complete_course(world)
    store = LocalObjectStore(tmp_path)
    public_url = world.settings.public_url
    drawn = service.render_pending(_Factory(session), store=store, public_url=public_url)  # type: ignore[arg-type]
    assert drawn >= 1
    data = (tmp_path / "certificates" / f"{certificate['certificate_id']}.pdf").read_bytes()
    assert certificate["verification_code"] in pdf_text(data)
    assert service.render_pending(_Factory(session), store=store, public_url=public_url) == 0  # type: ignore[arg-type]
    assert world.ok("learner", "GET", f"/certificates/{certificate['certificate_id']}")["rendered"] is True


def test_pdfs_go_to_s3_when_a_bucket_is_configured(world: World, client: TestClient) -> None:
    import boto3
    from moto import mock_aws

    from skillstudio.object_storage import S3ObjectStore

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="certificates")
        client.app.state.object_store = S3ObjectStore("certificates", "objects", client=s3)  # type: ignore[attr-defined]
        certificate = complete_course(world)
        response = world.call("learner", "GET", f"/certificates/{certificate['certificate_id']}/pdf")
        assert response.status_code == 200, response.text
        stored = s3.get_object(
            Bucket="certificates", Key=f"objects/certificates/{certificate['certificate_id']}.pdf"
        )
        assert stored["Body"].read() == response.content
        assert stored["ContentType"] == "application/pdf"


# ---- who may see what


def test_another_learner_can_neither_read_nor_download(world: World) -> None:
    certificate = complete_course(world)
    for path in ("", "/pdf"):
        response = world.call("other_learner", "GET", f"/certificates/{certificate['certificate_id']}{path}")
        assert response.status_code == 403
    assert world.ok("other_learner", "GET", "/me/certificates")["items"] == []
    listed = world.ok("admin", "GET", "/me/certificates", params={"learner_id": world.id("learner")})
    assert [item["certificate_id"] for item in listed["items"]] == [certificate["certificate_id"]]


# ---- verification and revocation


def test_verification_confirms_without_revealing_the_learner(world: World) -> None:
    certificate = complete_course(world)
    response = world.call("anonymous", "GET", f"/certificates/verify/{certificate['verification_code']}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid" and body["valid"] is True
    assert body["course_title"] == certificate["course_title"]
    assert body["learner_name"] == certificate["learner_name"]
    assert body["issued_at"][:10] == certificate["issued_at"][:10]
    assert world.id("learner") not in response.text
    assert world.users["learner"].email not in response.text
    assert "user_id" not in body and "certificate_id" not in body


def test_an_unknown_code_is_a_clear_404_and_a_malformed_one_a_422(world: World) -> None:
    response = world.call("anonymous", "GET", "/certificates/verify/NoSuchCode123")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Unknown verification code"
    malformed = world.call("anonymous", "GET", "/certificates/verify/not%20a%20code")
    assert malformed.status_code == 422


def test_an_admin_revokes_and_verification_says_so_with_the_date(world: World, session: Session) -> None:
    certificate = complete_course(world)
    path = f"/certificates/{certificate['certificate_id']}/revoke"
    assert world.call("learner", "POST", path, json={"reason": "mine"}).status_code == 403
    assert world.call("admin", "POST", path, json={"reason": "   "}).status_code == 422
    revoked = world.ok("admin", "POST", path, json={"reason": "Plagiarised final project"})
    assert revoked["status"] == "revoked"
    assert revoked["revocation_reason"] == "Plagiarised final project"
    assert world.call("admin", "POST", path, json={"reason": "again"}).status_code == 409
    verified = world.ok("anonymous", "GET", f"/certificates/verify/{certificate['verification_code']}")
    assert verified["status"] == "revoked" and verified["valid"] is False
    assert verified["revoked_at"] == revoked["revoked_at"]
    assert "Plagiarised" not in str(verified)
    assert (
        world.call("learner", "GET", f"/certificates/{certificate['certificate_id']}/pdf").status_code == 409
    )
    verbs = [(verb, actor) for verb, actor, _ in events_of(session, certificate["certificate_id"])]
    assert verbs == [("earned", world.id("learner")), ("updated", world.id("admin"))]


# ---- the public page


def test_the_verification_page_escapes_and_shows_validity(world: World) -> None:
    learner = world.id("learner")
    body = {"preferences": {"display_name": "<script>alert(1)</script>"}}
    world.ok("learner", "PATCH", f"/learners/{learner}/profile", json=body)
    certificate = complete_course(world, title="SQL & <b>joins</b>")
    page = world.client.get(f"/app/verify/{certificate['verification_code']}")
    assert page.status_code == 200
    assert 'data-status="valid"' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "SQL &amp; &lt;b&gt;joins&lt;/b&gt;" in page.text
    assert learner not in page.text and world.users["learner"].email not in page.text
    world.ok("admin", "POST", f"/certificates/{certificate['certificate_id']}/revoke", json={"reason": "x"})
    revoked = world.client.get(f"/app/verify/{certificate['verification_code']}")
    assert 'data-status="revoked"' in revoked.text
    assert f"Revoked</strong> on {datetime.now(UTC):%Y-%m-%d}" in revoked.text


@pytest.mark.parametrize("code", ["NoSuchCode123", "bad%20code"])
def test_an_unknown_code_page_is_a_404_page(world: World, code: str) -> None:
    page = world.client.get(f"/app/verify/{code}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-status="unknown"' in page.text


@pytest.mark.parametrize(
    "name",
    ["Zoë Ødegård-Łukasiewicz", "Дмитрий Иванов", "Ελένη Παπαδοπούλου", "王小明", "さくら 山田", "김민준"],
)
def test_a_name_in_any_script_is_printed_as_text(name: str) -> None:
    """Helvetica (Latin-1) would draw Cyrillic, Greek or CJK names as blank boxes: the text read back from
    the PDF is the name itself."""
    data = render_certificate(
        CertificateText(
            learner_name=name, course_title="Введение в SQL", instructor_name="Ana Núñez",
            issued_on=date(2026, 12, 6), verification_code="K7Q2-MX4P-9TZD",
            verification_url="https://skillstudio.example/app/verify/K7Q2-MX4P-9TZD",
        )
    )  # fmt: skip
    words = pdf_text(data)
    assert name in words and "Введение в SQL" in words and "Ana Núñez" in words, words
    assert qr_codes(data) == ["https://skillstudio.example/app/verify/K7Q2-MX4P-9TZD"]
