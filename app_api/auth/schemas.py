"""What the auth routes accept and return. Passwords go in, never out; tokens go out once."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app_api.users.schemas import EmailAddress, Role

# NIST SP 800-63B: length, not composition rules, makes a password strong; the maximum only bounds work.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
MAX_DISPLAY_NAME_LENGTH = 100
MAX_TOKEN_LENGTH = 200


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationCreate(_Input):
    email: EmailAddress = Field(
        description="Stored trimmed and in lower case; unique regardless of case.",
        examples=["ann.lee@example.org"],
    )
    password: str = Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"At least {PASSWORD_MIN_LENGTH} characters; a passphrase of several words works well.",
        examples=["correct horse battery staple"],
    )
    display_name: str = Field(min_length=1, max_length=MAX_DISPLAY_NAME_LENGTH, examples=["Ann Lee"])

    @field_validator("display_name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the display name cannot be blank")
        if any(unicodedata.category(character) == "Cc" for character in value):
            raise ValueError("the display name cannot contain control characters")
        return value.strip()


class LoginCreate(_Input):
    email: EmailAddress = Field(examples=["ann.lee@example.org"])
    # No minimum here: the length rule applies when a password is chosen, not when it is typed.
    password: str = Field(
        min_length=1, max_length=PASSWORD_MAX_LENGTH, examples=["correct horse battery staple"]
    )


class RefreshCreate(_Input):
    refresh_token: str = Field(
        min_length=1, max_length=MAX_TOKEN_LENGTH, description="The refresh_token of the last token pair."
    )


class LogoutCreate(_Input):
    refresh_token: str = Field(
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        description="Any refresh token of the session to end; the whole session (token family) ends.",
    )


class PasswordUpdate(_Input):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"At least {PASSWORD_MIN_LENGTH} characters, different from the current one.",
    )

    @model_validator(mode="after")
    def _different(self) -> PasswordUpdate:
        if self.new_password == self.current_password:
            raise ValueError("the new password must differ from the current one")
        return self


class TokenRead(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(
        description="Exchange at POST /api/v1/auth/refresh for a new pair; valid once. Store it safely: "
        "it is shown only now."
    )
    refresh_expires_at: datetime
    user_id: uuid.UUID
    role: Role
