"""What the accounts and profile routes accept and return. Password hashes appear in none of them."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app_api.common.pagination import Page
from app_api.users.emails import MAX_EMAIL_LENGTH, normalise_email

Role = Literal["learner", "instructor", "admin"]
Difficulty = Literal["beginner", "intermediate", "advanced"]
SkillLevelSource = Literal["self", "diagnostic", "import", "admin", "mastery"]
EmailAddress = Annotated[str, Field(max_length=MAX_EMAIL_LENGTH), AfterValidator(normalise_email)]
"""An email as typed, validated to its stored form (``app_api.users.emails``) or refused with a 422."""

MAX_WEEKLY_HOURS = 80
MAX_DISPLAY_NAME_LENGTH = 100
MAX_SKILL_LEVELS_PER_UPDATE = 100


class _Input(BaseModel):
    # Unknown fields are refused, so a client sending ``attributes`` learns they are read-only.
    model_config = ConfigDict(extra="forbid")


class UserRead(BaseModel):
    user_id: uuid.UUID
    email: str | None = Field(description="Normalised (lower case); null for imported learners.")
    display_name: str
    role: Role
    can_log_in: bool = Field(description="Whether the account has a password (imported learners do not).")
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class UserPage(Page[UserRead]):
    """One page of accounts, oldest first."""


class RoleUpdate(_Input):
    role: Role = Field(description="The new role.", examples=["instructor"])


def _printable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a name on a certificate has no use for control characters.
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError("must not contain control characters")
    return value


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DISPLAY_NAME_LENGTH),
    AfterValidator(_printable),
]


def _iana_time_zone(value: str) -> str:
    """An IANA zone name (``Europe/Paris``) the zone database knows; daily streaks follow its days."""
    if value not in _time_zones():
        raise ValueError("must be an IANA time zone name such as 'Europe/Paris' or 'UTC'")
    return value


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    # "localtime" names the server's own zone, not one a learner lives in.
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules"})


TimeZoneName = Annotated[
    str, Field(max_length=64, examples=["Europe/Paris"]), AfterValidator(_iana_time_zone)
]


class PreferencesRead(BaseModel):
    weekly_hours: float | None = Field(description="Hours per week the learner means to study.")
    preferred_difficulty: Difficulty | None
    display_name: str | None = Field(
        default=None,
        description="The name the learner chose for their certificates; null means the account's name.",
    )
    time_zone: str = Field(
        default="UTC",
        description="IANA time zone whose days count the learner's daily streak; UTC unless set.",
    )
    leaderboard_opt_out: bool = Field(
        default=False, description="True: the learner is shown on no leaderboard, not even to themselves."
    )


class PreferencesUpdate(_Input):
    """Only the fields sent change; send null to clear one."""

    weekly_hours: float | None = Field(
        default=None, ge=0, le=MAX_WEEKLY_HOURS, allow_inf_nan=False, examples=[6]
    )
    preferred_difficulty: Difficulty | None = Field(default=None, examples=["intermediate"])
    display_name: DisplayName | None = Field(
        default=None,
        description="The name printed on certificates (null: the account's name).",
        examples=["Ada King"],
    )
    time_zone: TimeZoneName | None = Field(
        default=None, description="IANA time zone name for daily streaks; null resets it to UTC."
    )
    leaderboard_opt_out: bool | None = Field(
        default=None, description="True hides the learner from every leaderboard; null resets it to false."
    )


class SkillLevelRead(BaseModel):
    skill_id: uuid.UUID
    skill_slug: str
    skill_name: str
    level: float = Field(ge=1, le=10, description="1 (novice) to 10 (expert); diagnostics may be fractional.")
    standard_error: float | None = Field(description="Uncertainty of a measured level; null for self-rated.")
    source: SkillLevelSource = Field(
        description="self (the learner's own rating), diagnostic (measured by an assessment), import, or "
        "admin (set by an administrator), or mastery (follows the learner's answers, see "
        "`GET /learners/{id}/mastery`)."
    )
    updated_at: datetime


class SkillLevelUpdate(_Input):
    skill_id: uuid.UUID
    level: int = Field(ge=1, le=10, description="Self-assessed level, 1 (novice) to 10 (expert).")


class ProfileRead(BaseModel):
    learner_id: uuid.UUID
    preferences: PreferencesRead
    attributes: dict[str, Any] = Field(
        description="Imported attributes (e.g. OULAD demographics); read-only through the API."
    )
    skill_levels: list[SkillLevelRead] = Field(description="Per-skill levels, ordered by skill slug.")
    updated_at: datetime | None = Field(description="Last change of the profile; null if never written.")


class ProfileUpdate(_Input):
    """Preferences and self-assessed levels. A self-assessment never replaces a measured level (diagnostic,
    import or admin): such a request is refused whole with 409, naming the skills."""

    preferences: PreferencesUpdate | None = None
    skill_levels: list[SkillLevelUpdate] | None = Field(
        default=None,
        max_length=MAX_SKILL_LEVELS_PER_UPDATE,
        examples=[[{"skill_id": "5b0e1c7a-3f7d-4c55-9a1e-2f1f3c9d8e21", "level": 4}]],
    )

    @field_validator("skill_levels")
    @classmethod
    def _one_level_per_skill(cls, levels: list[SkillLevelUpdate] | None) -> list[SkillLevelUpdate] | None:
        if levels is not None:
            ids = [level.skill_id for level in levels]
            repeated = sorted({str(skill_id) for skill_id in ids if ids.count(skill_id) > 1})
            if repeated:
                raise ValueError(f"each skill may appear once; repeated: {', '.join(repeated)}")
        return levels
