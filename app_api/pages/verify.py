"""The public verification page of a certificate: anyone with the code (or its QR code) may open it; and
the PDF's download for its learner (and admins), signed in to the pages.

It says whether the certificate is valid or revoked (with the date), for whom (their chosen display name),
which course and when, never the learner's email or account id. An unknown code is a 404 page that says
so. Everything shown is escaped by the templates.
"""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app_api.certificates import service as certificates
from app_api.certificates.schemas import CODE_PATTERN
from app_api.pages.dependencies import Viewer
from app_api.pages.rendering import render
from skillstudio.errors import NotFound
from skillstudio.web.dependencies import ObjectStoreDep, PublicUrl, SessionDep
from skillstudio.web.downloads import attachment

router = APIRouter(prefix="/app", include_in_schema=False)

_CODE = re.compile(CODE_PATTERN)


@router.get("/verify/{code}")
def verify_page(request: Request, code: str, session: SessionDep) -> Response:
    try:
        if not _CODE.fullmatch(code):
            raise NotFound("This is not a verification code.")
        found = certificates.verify(session, code=code)
    except NotFound:
        return render(request, "verify.html", {"certificate": None, "code": code}, status=404)
    return render(request, "verify.html", {"certificate": found, "code": code})


@router.get("/certificates/{certificate_id}/pdf")
def certificate_pdf(
    certificate_id: uuid.UUID,
    session: SessionDep,
    viewer: Viewer,
    store: ObjectStoreDep,
    public_url: PublicUrl,
) -> Response:
    """The API's download (``GET /api/v1/certificates/{id}/pdf``) for a signed-in page visitor."""
    certificate, data = certificates.pdf(
        session, principal=viewer, certificate_id=certificate_id, store=store, public_url=public_url
    )
    return attachment(
        data, media_type=certificates.PDF_TYPE, filename=f"certificate-{certificate.certificate_id}.pdf"
    )
