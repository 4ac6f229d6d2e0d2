"""Certificates of completion: issued with the course's completion, drawn later, verified by anyone.

Issuing is a reaction to the ``completed`` course event (``reactions.issue_on_course_completion``): the
certificate row and its ``earned`` event are written in the transaction that completes the enrollment,
so a completion never lacks its certificate and a retried request never issues two (one per
enrollment; the reaction runs once per event). Drawing the PDF is slow next to that (50-75 ms against
the completion's 25, ``benchmarks/certificate_completion.py``), so it is not done there:
``render_pending`` (the worker, ``skillstudio certificates render``) draws the pending ones, and a
download draws one still pending. The learner is told (in-app, and by email through the outbox, with the
verification link) when the PDF is drawn, so the message never points at a certificate not yet there;
that also keeps the notification's writes out of the completing request.

The names on a certificate are those at issue: the learner's chosen display name (profile preference
``display_name``, else the account's name), the course's title and its instructor's name. The
verification code is 144 random bits, url-safe (``secrets.token_urlsafe``): not derived from anything, so
it cannot be guessed from ids or dates. Verification shows the names, course and date, and whether the
certificate was revoked (with the date), never the learner's email or account id.

Events (object ``certificate``): ``earned`` when issued (actor the learner), ``updated`` with
``fields: ["pdf"]`` when drawn (actor the learner, whose certificate it is), ``updated`` with
``fields: ["status"]`` when an admin revokes it (actor the admin).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app_api.certificates.models import Certificate
from app_api.certificates.pdf import CertificateText, render_certificate
from app_api.certificates.schemas import CertificatePage, CertificateRead, CertificateVerification
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.notifications import service as notifications
from app_api.users import service as users
from skillstudio.errors import Conflict, Forbidden, NotFound
from skillstudio.events.recording import record_event
from skillstudio.object_storage import ObjectStore
from skillstudio.web.principals import Principal

PDF_TYPE = "application/pdf"


def new_code() -> str:
    return secrets.token_urlsafe(18)


def verification_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/app/verify/{code}"


def pdf_key(certificate_id: uuid.UUID) -> str:
    return f"certificates/{certificate_id}.pdf"


def _read(certificate: Certificate, public_url: str) -> CertificateRead:
    return CertificateRead(
        certificate_id=certificate.certificate_id,
        enrollment_id=certificate.enrollment_id,
        user_id=certificate.user_id,
        course_id=certificate.course_id,
        course_title=certificate.course_title,
        learner_name=certificate.learner_name,
        instructor_name=certificate.instructor_name,
        issued_at=certificate.issued_at,
        verification_code=certificate.verification_code,
        verification_url=verification_url(public_url, certificate.verification_code),
        pdf_url=f"/api/v1/certificates/{certificate.certificate_id}/pdf",
        rendered=certificate.pdf_key is not None,
        status="revoked" if certificate.revoked_at else "valid",
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
    )


# ---- issuing


def issue(session: Session, *, enrollment_id: uuid.UUID, issued_at: datetime) -> Certificate | None:
    """Issue the certificate of a completed enrollment (None when it is not completed or already has one)."""
    rows = enrollments.enrollment_rows().subquery()
    found = session.execute(
        select(rows.c.user_id, rows.c.course_id)
        .outerjoin(Certificate, Certificate.enrollment_id == rows.c.enrollment_id)
        .where(
            rows.c.enrollment_id == enrollment_id,
            rows.c.status == "completed",
            Certificate.certificate_id.is_(None),
        )
    ).first()
    course = courses.course_facts(session, course_id=found.course_id) if found else None
    if found is None or course is None:
        return None
    instructor = (
        users.display_names(session, user_ids=[course.instructor_id]).get(course.instructor_id)
        if course.instructor_id
        else None
    )
    certificate = Certificate(
        certificate_id=uuid.uuid4(), enrollment_id=enrollment_id, user_id=found.user_id,
        course_id=found.course_id, verification_code=new_code(),
        learner_name=users.preferred_name(session, user_id=found.user_id), course_title=course.title,
        instructor_name=instructor, issued_at=issued_at,
    )  # fmt: skip
    session.add(certificate)
    session.flush()
    record_event(
        session, actor_id=found.user_id, verb="earned", object_type="certificate",
        object_id=certificate.certificate_id, course_id=found.course_id, registration=enrollment_id,
        occurred_at=issued_at, extensions={"course_title": course.title},
    )  # fmt: skip
    return certificate


def _tell_the_learner(session: Session, certificate: Certificate, public_url: str) -> None:
    """The learner's notification, and its email through the outbox, once the PDF is there to download."""
    title = certificate.course_title
    notifications.notify(
        session,
        user_id=certificate.user_id,
        kind="certificate_issued",
        title=f"Your certificate for {title}",
        body=(
            f"Congratulations on completing {title}. Your certificate is ready: anyone can check it at "
            "the link below, and you can download the PDF from your certificates."
        ),
        link=verification_url(public_url, certificate.verification_code),
        data={"certificate_id": str(certificate.certificate_id), "course_id": str(certificate.course_id)},
        dedupe_key=str(certificate.certificate_id),
    )


# ---- drawing the PDF


def _draw(session: Session, certificate: Certificate, store: ObjectStore, public_url: str) -> bytes:
    """Draw the PDF, store it, and record that the certificate has one (in the caller's transaction)."""
    data = render_certificate(
        CertificateText(
            learner_name=certificate.learner_name,
            course_title=certificate.course_title,
            instructor_name=certificate.instructor_name,
            issued_on=certificate.issued_at.astimezone(UTC).date(),
            verification_code=certificate.verification_code,
            verification_url=verification_url(public_url, certificate.verification_code),
        )
    )
    # Stored before the row says so: a failed commit leaves an object that the next draw overwrites.
    key = pdf_key(certificate.certificate_id)
    store.put(key, data, content_type=PDF_TYPE)
    # Drawn again after an erasure emptied the key: not news to anyone (no event, no email).
    first = certificate.rendered_at is None
    certificate.pdf_key = key
    certificate.rendered_at = datetime.now(UTC)
    session.flush()
    if first:
        record_event(
            session, actor_id=certificate.user_id, verb="updated", object_type="certificate",
            object_id=certificate.certificate_id, course_id=certificate.course_id,
            registration=certificate.enrollment_id, occurred_at=certificate.rendered_at,
            extensions={"fields": ["pdf"]},
        )  # fmt: skip
        _tell_the_learner(session, certificate, public_url)
    return data


def render_pending_in(session: Session, *, store: ObjectStore, public_url: str, batch: int = 20) -> int:
    """Draw up to ``batch`` certificates still without a PDF in the caller's transaction; how many.

    Rows are claimed ``for update skip locked``, so several workers (and downloads) never draw one twice.
    """
    pending = session.scalars(
        select(Certificate)
        .where(Certificate.pdf_key.is_(None), Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at, Certificate.certificate_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for certificate in pending:
        _draw(session, certificate, store, public_url)
    return len(pending)


def render_pending(
    session_factory: sessionmaker[Session], *, store: ObjectStore, public_url: str, batch: int = 20
) -> int:
    """The worker's pass: one batch of pending certificates drawn and committed in its own transaction."""
    with session_factory.begin() as session:
        return render_pending_in(session, store=store, public_url=public_url, batch=batch)


def verification_code(session: Session, *, user_id: uuid.UUID, course_id: uuid.UUID) -> str | None:
    """The code of the learner's newest certificate of the course, if they have one."""
    return session.scalar(
        select(Certificate.verification_code)
        .where(Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Certificate.issued_at.desc())
        .limit(1)
    )


# ---- the learner's and admins' routes


def _certificate(
    session: Session, principal: Principal, certificate_id: uuid.UUID, *, lock: bool = False
) -> Certificate:
    statement = select(Certificate).where(Certificate.certificate_id == certificate_id)
    certificate = session.scalar(statement.with_for_update() if lock else statement)
    if certificate is None:
        raise NotFound(f"Certificate {certificate_id} does not exist.")
    if not principal.can_act_for(certificate.user_id):
        raise Forbidden("This certificate belongs to another learner.")
    return certificate


def get_certificate(
    session: Session, *, principal: Principal, certificate_id: uuid.UUID, public_url: str
) -> CertificateRead:
    return _read(_certificate(session, principal, certificate_id), public_url)


def list_certificates(
    session: Session,
    *,
    principal: Principal,
    user_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
    public_url: str,
) -> CertificatePage:
    """The certificates of ``user_id`` (default: the caller; others' for admins only), newest first."""
    owner = user_id or principal.user_id
    if not principal.can_act_for(owner):
        raise Forbidden("You can only list your own certificates.")
    statement = select(Certificate).where(Certificate.user_id == owner)
    after = parse_cursor(cursor, tag="certificates", kinds=(datetime, uuid.UUID))
    columns = (Certificate.issued_at, Certificate.certificate_id)
    rows = session.scalars(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()
    items, next_cursor = page_of(
        rows, limit=limit, tag="certificates", key_of=lambda row: [row.issued_at, row.certificate_id]
    )
    return CertificatePage(items=[_read(row, public_url) for row in items], next_cursor=next_cursor)


def pdf(
    session: Session, *, principal: Principal, certificate_id: uuid.UUID, store: ObjectStore, public_url: str
) -> tuple[CertificateRead, bytes]:
    """The PDF, drawn now when still pending (or lost from storage); a revoked certificate has none."""
    certificate = _certificate(session, principal, certificate_id)
    if certificate.revoked_at is not None:
        raise Conflict(f"This certificate was revoked on {certificate.revoked_at:%Y-%m-%d}; it has no PDF.")
    data = store.get(certificate.pdf_key) if certificate.pdf_key else None
    if data is None:
        certificate = _certificate(session, principal, certificate_id, lock=True)
        data = store.get(certificate.pdf_key) if certificate.pdf_key else None  # a worker may have drawn it
        if data is None:
            data = _draw(session, certificate, store, public_url)
    return _read(certificate, public_url), data


def revoke(
    session: Session, *, principal: Principal, certificate_id: uuid.UUID, reason: str, public_url: str
) -> CertificateRead:
    """Revoke a certificate (admins). Revoking a revoked one is refused (409), its first date kept."""
    if not principal.is_admin:
        raise Forbidden("Only administrators revoke certificates.")
    certificate = _certificate(session, principal, certificate_id, lock=True)
    if certificate.revoked_at is not None:
        raise Conflict(f"This certificate was already revoked on {certificate.revoked_at:%Y-%m-%d}.")
    certificate.revoked_at = datetime.now(UTC)
    certificate.revoked_by = principal.user_id
    certificate.revocation_reason = reason
    session.flush()
    record_event(
        session, actor_id=principal.user_id, verb="updated", object_type="certificate",
        object_id=certificate_id, course_id=certificate.course_id, registration=certificate.enrollment_id,
        occurred_at=certificate.revoked_at,
        extensions={"fields": ["status"], "status": "revoked", "reason": reason,
                    "user_id": str(certificate.user_id)},
    )  # fmt: skip
    return _read(certificate, public_url)


# ---- public verification


def verify(session: Session, *, code: str) -> CertificateVerification:
    """What the code's certificate says, for anyone; an unknown code is ``NotFound``."""
    certificate = session.scalar(select(Certificate).where(Certificate.verification_code == code))
    if certificate is None:
        raise NotFound(
            "No certificate has this verification code. Check that it was copied whole; codes are "
            "case-sensitive.",
            title="Unknown verification code",
        )
    return CertificateVerification(
        verification_code=certificate.verification_code,
        status="revoked" if certificate.revoked_at else "valid",
        valid=certificate.revoked_at is None,
        learner_name=certificate.learner_name,
        course_title=certificate.course_title,
        instructor_name=certificate.instructor_name,
        issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at,
    )
