"""Certificates over HTTP. The public verification answer holds no email and no account id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app_api.common.pagination import Page

CertificateStatus = Literal["valid", "revoked"]
# secrets.token_urlsafe(18): 24 characters of the url-safe base64 alphabet (144 random bits).
CODE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_REASON_LENGTH = 1000


def _no_control(value: str) -> str:
    if any(ord(character) < 32 and character not in "\n\t" for character in value):
        raise ValueError("must not contain control characters")
    return value


class CertificateRead(BaseModel):
    """A certificate as its learner (and admins) see it."""

    certificate_id: uuid.UUID
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    course_title: str
    learner_name: str = Field(description="The learner's chosen display name when it was issued.")
    instructor_name: str | None
    issued_at: datetime
    verification_code: str
    verification_url: str = Field(description="The public page that confirms the certificate.")
    pdf_url: str = Field(description="Where its owner downloads the PDF (API path, needs their token).")
    rendered: bool = Field(description="False until the PDF is drawn (it is then drawn on first download).")
    status: CertificateStatus
    revoked_at: datetime | None
    revocation_reason: str | None


class CertificatePage(Page[CertificateRead]):
    """A page of a learner's certificates, newest first."""


class CertificateVerification(BaseModel):
    """What anyone holding the code may know: never the learner's email or account id."""

    verification_code: str
    status: CertificateStatus = Field(description="valid, or revoked (then see revoked_at).")
    valid: bool
    learner_name: str
    course_title: str
    instructor_name: str | None
    issued_at: datetime
    revoked_at: datetime | None = Field(description="When an admin revoked it; null while valid.")


class CertificateRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_LENGTH),
        AfterValidator(_no_control),
    ] = Field(description="Why it is revoked (kept for admins; the public page shows only the date).")
