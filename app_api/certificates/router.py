"""Certificate routes: the learner's own (list, read, PDF), admins' revocation, and public verification.

HTTP only; the rules are in ``service``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from app_api.certificates import service
from app_api.certificates.schemas import (
    CODE_PATTERN,
    CertificatePage,
    CertificateRead,
    CertificateRevoke,
    CertificateVerification,
)
from app_api.common.parameters import DEFAULT_PAGE, Admin, Cursor, Limit, problems
from skillstudio.web.dependencies import ObjectStoreDep, PublicUrl, SessionDep
from skillstudio.web.downloads import attachment
from skillstudio.web.security import CurrentUser

router = APIRouter(tags=["certificates"])

CertificateId = Annotated[uuid.UUID, Path(description="The certificate's id.")]
Code = Annotated[
    str, Path(pattern=CODE_PATTERN, max_length=64, description="The verification code on the certificate.")
]
_PROBLEM: dict[str, Any] = {"application/problem+json": {}}
_NOT_YOURS = problems(401, 403, 404, 422)


@router.get(
    "/me/certificates",
    response_model=CertificatePage,
    summary="Your certificates, newest first (admins: any learner's, with learner_id)",
    responses=problems(401, 403, 422)
    | {400: {"description": "A cursor of another list.", "content": _PROBLEM}},
)
def list_certificates(
    session: SessionDep,
    user: CurrentUser,
    public_url: PublicUrl,
    learner_id: Annotated[uuid.UUID | None, Query(description="Admins: another learner's.")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE,
) -> CertificatePage:
    return service.list_certificates(
        session, principal=user, user_id=learner_id, cursor=cursor, limit=limit, public_url=public_url
    )


@router.get(
    "/certificates/verify/{code}",
    response_model=CertificateVerification,
    summary="Verify a certificate by its code (public): valid or revoked, the course, the date and the name",
    responses={
        404: {"description": "No certificate has this code.", "content": _PROBLEM},
        422: {
            "description": "Not a verification code (url-safe letters, digits, - and _).",
            "content": _PROBLEM,
        },
    },
)
def verify_certificate(code: Code, session: SessionDep) -> CertificateVerification:
    return service.verify(session, code=code)


@router.get(
    "/certificates/{certificate_id}",
    response_model=CertificateRead,
    summary="Read one of your certificates (admins: anyone's)",
    responses=_NOT_YOURS,
)
def get_certificate(
    certificate_id: CertificateId, session: SessionDep, user: CurrentUser, public_url: PublicUrl
) -> CertificateRead:
    return service.get_certificate(
        session, principal=user, certificate_id=certificate_id, public_url=public_url
    )


@router.get(
    "/certificates/{certificate_id}/pdf",
    response_class=Response,
    summary="Download a certificate's PDF (drawn now if the worker has not drawn it yet)",
    responses={
        200: {
            "description": "The certificate as a PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_NOT_YOURS,
        **problems(409),
    },
)
def download_pdf(
    certificate_id: CertificateId,
    session: SessionDep,
    user: CurrentUser,
    store: ObjectStoreDep,
    public_url: PublicUrl,
) -> Response:
    certificate, data = service.pdf(
        session, principal=user, certificate_id=certificate_id, store=store, public_url=public_url
    )
    return attachment(
        data, media_type=service.PDF_TYPE, filename=f"certificate-{certificate.certificate_id}.pdf"
    )


@router.post(
    "/certificates/{certificate_id}/revoke",
    response_model=CertificateRead,
    summary="Revoke a certificate (admins); verification then says revoked, with the date",
    responses=_NOT_YOURS | problems(409),
)
def revoke_certificate(
    certificate_id: CertificateId,
    body: CertificateRevoke,
    session: SessionDep,
    admin: Admin,
    public_url: PublicUrl,
) -> CertificateRead:
    return service.revoke(
        session, principal=admin, certificate_id=certificate_id, reason=body.reason, public_url=public_url
    )
