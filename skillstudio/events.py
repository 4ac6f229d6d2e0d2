"""The learner event contract: xAPI-aligned statements and the row they become in ``learner_events``.

A statement is one learner action. Its ``event_id`` is the client's ``id`` when given, else a uuid5 of
actor, verb, object, timestamp and attempt, so a retried or replayed statement maps to the same row and
the store's primary key turns it into a no-op.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

EVENT_NAMESPACE = uuid.UUID("6f1c2f0e-8a53-4c8e-9a55-5b0f7a0c2d11")

# Short verb name -> xAPI verb IRI. Events store the short name; exports use the IRI.
VERBS: dict[str, str] = {
    "registered": "http://adlnet.gov/expapi/verbs/registered",
    "unregistered": "http://id.tincanapi.com/verb/unregistered",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "progressed": "http://adlnet.gov/expapi/verbs/progressed",
    "played": "https://w3id.org/xapi/video/verbs/played",
    "paused": "https://w3id.org/xapi/video/verbs/paused",
    "seeked": "https://w3id.org/xapi/video/verbs/seeked",
    "posted": "https://w3id.org/xapi/acrossx/verbs/posted",
    "earned": "http://id.tincanapi.com/verb/earned",
    # Account and authoring actions: every state change of the learning API is an event.
    "logged-in": "https://w3id.org/xapi/adl/verbs/logged-in",
    "logged-out": "https://w3id.org/xapi/adl/verbs/logged-out",
    "created": "http://activitystrea.ms/schema/1.0/create",
    "updated": "http://activitystrea.ms/schema/1.0/update",
    "deleted": "http://activitystrea.ms/schema/1.0/delete",
}
VERB_BY_IRI = {iri: name for name, iri in VERBS.items()}

ObjectType = Literal[
    "course", "module", "lesson", "question", "assessment", "video", "discussion", "badge", "recommendation",
    "account", "profile", "skill", "goal",
]  # fmt: skip

# Statements may arrive late, never from the future beyond ordinary clock skew.
MAX_CLOCK_SKEW = timedelta(minutes=5)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Actor(_Strict):
    id: uuid.UUID = Field(description="Pseudonymous learner id; never an email.")


class StatementObject(_Strict):
    id: str = Field(min_length=1, max_length=512)
    type: ObjectType


class Result(_Strict):
    score_scaled: float | None = Field(default=None, ge=-1.0, le=1.0)
    success: bool | None = None
    completion: bool | None = None
    response: str | None = Field(default=None, max_length=10_000)
    duration_s: float | None = Field(default=None, ge=0.0)


class Context(_Strict):
    registration: uuid.UUID | None = Field(default=None, description="The enrollment id.")
    course_id: uuid.UUID | None = None
    module_id: uuid.UUID | None = None
    attempt: int | None = Field(default=None, ge=1)
    extensions: dict[str, Any] = Field(default_factory=dict)


class Statement(_Strict):
    """One learner action, shaped like an xAPI 1.0.3 statement."""

    id: uuid.UUID | None = Field(default=None, description="Client-chosen event id; derived when absent.")
    actor: Actor
    verb: str = Field(description="A verb of the vocabulary, by short name or xAPI IRI.")
    object: StatementObject
    result: Result | None = None
    context: Context | None = None
    timestamp: AwareDatetime = Field(description="When it happened (xAPI timestamp), with a time zone.")

    @field_validator("verb")
    @classmethod
    def _known_verb(cls, value: str) -> str:
        if value in VERBS:
            return value
        if value in VERB_BY_IRI:
            return VERB_BY_IRI[value]
        raise ValueError(f"unknown verb {value!r}; use one of: {', '.join(VERBS)}")

    def event_id(self) -> uuid.UUID:
        if self.id is not None:
            return self.id
        return derive_event_id(
            actor_id=self.actor.id,
            verb=self.verb,
            object_type=self.object.type,
            object_id=self.object.id,
            occurred_at=self.timestamp,
            attempt=self.context.attempt if self.context else None,
        )


def derive_event_id(
    *,
    actor_id: uuid.UUID,
    verb: str,
    object_type: str,
    object_id: str,
    occurred_at: datetime,
    attempt: int | None = None,
) -> uuid.UUID:
    """The deterministic id of a statement sent without one (uuid5 of what identifies the action)."""
    key = "|".join(
        (
            str(actor_id),
            verb,
            f"{object_type}:{object_id}",
            occurred_at.astimezone(UTC).isoformat(),
            "" if attempt is None else str(attempt),
        )
    )
    return uuid.uuid5(EVENT_NAMESPACE, key)


# Column order of learner_events as written by COPY.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "received_at",
    "actor_id",
    "verb",
    "object_type",
    "object_id",
    "course_id",
    "module_id",
    "registration",
    "attempt",
    "score_scaled",
    "success",
    "completion",
    "response",
    "duration_s",
    "extensions",
)

EventRow = tuple[Any, ...]


def statement_to_row(statement: Statement, *, received_at: datetime) -> EventRow:
    """The ``learner_events`` row of a validated statement, in ``EVENT_COLUMNS`` order."""
    result = statement.result or Result()
    context = statement.context or Context()
    return (
        statement.event_id(),
        statement.timestamp.astimezone(UTC),
        received_at,
        statement.actor.id,
        statement.verb,
        statement.object.type,
        statement.object.id,
        context.course_id,
        context.module_id,
        context.registration,
        context.attempt,
        result.score_scaled,
        result.success,
        result.completion,
        result.response,
        result.duration_s,
        context.extensions,
    )


def check_not_future(statement: Statement, *, received_at: datetime) -> None:
    if statement.timestamp > received_at + MAX_CLOCK_SKEW:
        raise ValueError(
            f"timestamp {statement.timestamp.isoformat()} is in the future "
            f"(received at {received_at.isoformat()})"
        )


def event_row(
    *,
    occurred_at: datetime,
    actor_id: uuid.UUID,
    verb: str,
    object_type: str,
    object_id: str,
    event_id: uuid.UUID | None = None,
    received_at: datetime | None = None,
    course_id: uuid.UUID | None = None,
    module_id: uuid.UUID | None = None,
    registration: uuid.UUID | None = None,
    attempt: int | None = None,
    score_scaled: float | None = None,
    success: bool | None = None,
    completion: bool | None = None,
    response: str | None = None,
    duration_s: float | None = None,
    extensions: dict[str, Any] | None = None,
) -> EventRow:
    """A ``learner_events`` row from keywords, for writers that do not start from a ``Statement``
    (importers, the generator): the id is derived exactly as for a statement sent without one."""
    if event_id is None:
        event_id = derive_event_id(
            actor_id=actor_id,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            occurred_at=occurred_at,
            attempt=attempt,
        )
    return (
        event_id, occurred_at, received_at or occurred_at, actor_id, verb, object_type, object_id,
        course_id, module_id, registration, attempt, score_scaled, success, completion, response,
        duration_s, extensions or {},
    )  # fmt: skip
