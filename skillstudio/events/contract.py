"""The learner event contract: the vocabulary, the compact statement form, and the ``learner_events`` row.

A statement is one learner action. It arrives either as a genuine xAPI 1.0.3 statement
(``skillstudio.events.xapi``) or in the compact form below; both normalise to the same row. Its
``event_id`` is the sender's ``id`` when given, else a uuid5 of actor, verb, object, timestamp and
attempt, so a retried or replayed statement maps to the same row and the store's primary key turns it into
a no-op. docs/events.md is the reference.
"""

from __future__ import annotations

import hashlib
import math
import re
import types
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NamedTuple, Protocol, get_args, get_origin, get_type_hints
from urllib.parse import quote, unquote

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

EVENT_NAMESPACE = uuid.UUID("6f1c2f0e-8a53-4c8e-9a55-5b0f7a0c2d11")
_NAMESPACE_BYTES = EVENT_NAMESPACE.bytes

# The platform's own IRIs: activities without a registry IRI, extensions, and the canonical activity ids
# that GET /api/v1/events/{id} answers with (``{ACTIVITY_BASE}{object_type}/{object_id}``).
PLATFORM_IRI = "https://skillstudio.dev"
ACTIVITY_BASE = f"{PLATFORM_IRI}/xapi/activities/"
EXTENSION_BASE = f"{PLATFORM_IRI}/xapi/extensions/"

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
    # Issue 11 point 7: the platform noticed a learner struggling on a skill (object: the skill). No
    # registry verb says this; the platform's own IRI, like its activity types.
    "struggled": f"{PLATFORM_IRI}/xapi/verbs/struggled",
    # Issue 13 point 5: the learner was served a list of recommended courses (object: the list), the log of
    # live experiments. Not something the learner did, so no registry verb fits.
    "was-served": f"{PLATFORM_IRI}/xapi/verbs/was-served",
}
VERB_BY_IRI = {iri: name for name, iri in VERBS.items()}

ObjectType = Literal[
    "course", "module", "lesson", "question", "assessment", "video", "discussion", "badge", "recommendation",
    "account", "profile", "skill", "goal", "learning_path", "notification", "notifications",
    "notification_preferences",
    # Discussions and reviews (issue 15 point 4): a thread, a comment at any depth, a course review, the
    # instructor's response to one, a report of a post.
    "discussion_thread", "comment", "review", "review_response", "report",
    # Certificates of completion (issue 15 point 5); a learner reaching a level of the game (object id:
    # the level, "3").
    "certificate", "level",
    # A served list of recommendations (issue 13 point 5): object id a fresh id per list.
    "recommendation_list",
]  # fmt: skip

# Object type -> the xAPI activity type IRI that exports use (registry IRIs where one exists).
ACTIVITY_TYPES: dict[str, str] = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "module": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "discussion": "http://id.tincanapi.com/activitytype/discussion",
    "badge": "http://activitystrea.ms/schema/1.0/badge",
    "recommendation": f"{PLATFORM_IRI}/xapi/activity-types/recommendation",
    "account": f"{PLATFORM_IRI}/xapi/activity-types/account",
    "profile": "http://id.tincanapi.com/activitytype/user-profile",
    "skill": f"{PLATFORM_IRI}/xapi/activity-types/skill",
    "goal": f"{PLATFORM_IRI}/xapi/activity-types/goal",
    # Not tincan's "discussion" IRI: that one means the object type "discussion" (imports map it back).
    "discussion_thread": f"{PLATFORM_IRI}/xapi/activity-types/discussion-thread",
    "comment": "http://activitystrea.ms/schema/1.0/comment",
    "review": "http://activitystrea.ms/schema/1.0/review",
    "review_response": f"{PLATFORM_IRI}/xapi/activity-types/review-response",
    "report": f"{PLATFORM_IRI}/xapi/activity-types/report",
    "certificate": f"{PLATFORM_IRI}/xapi/activity-types/certificate",
    "level": f"{PLATFORM_IRI}/xapi/activity-types/level",
    "recommendation_list": f"{PLATFORM_IRI}/xapi/activity-types/recommendation-list",
    # Recorded by the learning API itself (paths, notifications): the dbt staging model must accept them too.
    "learning_path": f"{PLATFORM_IRI}/xapi/activity-types/learning-path",
    "notification": f"{PLATFORM_IRI}/xapi/activity-types/notification",
    "notifications": f"{PLATFORM_IRI}/xapi/activity-types/notifications",
    "notification_preferences": f"{PLATFORM_IRI}/xapi/activity-types/notification-preferences",
}
# Accepted on input besides the IRIs above: common alternatives LRS tools send for the same thing.
OBJECT_TYPE_BY_IRI: dict[str, str] = {
    **{iri: name for name, iri in ACTIVITY_TYPES.items()},
    "http://adlnet.gov/expapi/activities/question": "question",
    "http://adlnet.gov/expapi/activities/interaction": "question",
    "http://adlnet.gov/expapi/activities/media": "video",
    "http://activitystrea.ms/schema/1.0/video": "video",
    "http://id.tincanapi.com/activitytype/forum-reply": "discussion",
}

# Statements may arrive late, never from the future beyond ordinary clock skew.
MAX_CLOCK_SKEW = timedelta(minutes=5)

_IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_iri(value: str) -> bool:
    """Whether an id or extension key is already absolute (``https:...``, ``urn:...``)."""
    return _IRI_SCHEME.match(value) is not None


def activity_iri(object_type: str, object_id: str) -> str:
    """The xAPI activity id of a stored object: its own IRI, or SkillStudio's canonical one."""
    return object_id if is_iri(object_id) else f"{ACTIVITY_BASE}{object_type}/{quote(object_id, safe='')}"


def local_object_id(object_type: str, object_id: str) -> str:
    """The stored id of an object: a SkillStudio activity IRI of the type by its trailing id, any other
    id unchanged (the inverse of ``activity_iri``)."""
    prefix = f"{ACTIVITY_BASE}{object_type}/"
    if object_id.startswith(prefix) and len(object_id) > len(prefix):
        return unquote(object_id[len(prefix) :])
    return object_id


def canonical_activity(object_type: str, object_id: str) -> dict[str, Any]:
    """The xAPI activity of a stored object, with the activity type IRI of the vocabulary."""
    return {
        "objectType": "Activity",
        "id": activity_iri(object_type, object_id),
        "definition": {
            "type": ACTIVITY_TYPES.get(object_type, f"{PLATFORM_IRI}/xapi/activity-types/{object_type}")
        },
    }


def canonical_context_activities(course_id: uuid.UUID | None, module_id: uuid.UUID | None) -> dict[str, Any]:
    """parent = the nearest container (module, else course); grouping = the course above a module."""
    if module_id is not None and course_id is not None:
        return {
            "parent": [canonical_activity("module", str(module_id))],
            "grouping": [canonical_activity("course", str(course_id))],
        }
    if module_id is not None:
        return {"parent": [canonical_activity("module", str(module_id))]}
    if course_id is not None:
        return {"parent": [canonical_activity("course", str(course_id))]}
    return {}


# A reason quotes what was sent, but never more than this much of it.
_SHOWN_CHARACTERS = 80


def shown(value: Any) -> str:
    """A sent value as a reason quotes it: short whatever its size (long text cut, containers named)."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**_SHOWN_CHARACTERS:
        return f"a number of {len(str(abs(value)))} digits"
    if isinstance(value, str) and len(value) > _SHOWN_CHARACTERS:
        return f"{value[: _SHOWN_CHARACTERS - 20]!r}... ({len(value)} characters)"
    return repr(value)


def finite_json(value: Any) -> Any:
    """A free-form JSON value (extensions) as sent; ``ValueError`` where it holds a number beyond the range of
    a double. JSON allows such numbers, but they are read as infinity, which no jsonb column can hold."""
    if (where := _infinite_at(value, "")) is not None:
        raise ValueError(
            f"holds a number beyond ±1.8e308 at {where or 'its top level'}, more than the event store can "
            "hold; send it as a string"
        )
    return value


def _infinite_at(value: Any, where: str) -> str | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else where
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _infinite_at(item, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


class StatementError(ValueError):
    """A statement that is well-formed JSON of the right shape but means something impossible.

    ``errors`` are ``(field, message)`` pairs, located like pydantic's so that rejections read the same.
    """

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


# Extensions are kept as sent, provided the event store can hold them.
FreeForm = Annotated[dict[str, Any], AfterValidator(finite_json)]
# The attempt column is a PostgreSQL integer.
MAX_ATTEMPT = 2**31 - 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Actor(_Strict):
    id: uuid.UUID = Field(description="Pseudonymous learner id; never an email.")


class StatementObject(_Strict):
    id: str = Field(min_length=1, max_length=512)
    type: ObjectType


class Result(_Strict):
    score_scaled: float | None = Field(default=None, ge=-1.0, le=1.0)
    score_raw: float | None = None
    score_min: float | None = None
    score_max: float | None = None
    success: bool | None = None
    completion: bool | None = None
    response: str | None = Field(default=None, max_length=10_000)
    duration_s: float | None = Field(default=None, ge=0.0)
    extensions: FreeForm | None = None


class Context(_Strict):
    registration: uuid.UUID | None = Field(default=None, description="The enrollment id.")
    course_id: uuid.UUID | None = None
    module_id: uuid.UUID | None = None
    attempt: int | None = Field(default=None, ge=1, le=MAX_ATTEMPT)
    extensions: FreeForm = Field(default_factory=dict)


class Statement(_Strict):
    """One learner action in the compact form (short verb names, flat result and context)."""

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
        raise ValueError(f"unknown verb {shown(value)}; use one of: {', '.join(VERBS)}")

    def event_id(self) -> uuid.UUID:
        if self.id is not None:
            return self.id
        return derive_event_id(
            actor_id=self.actor.id,
            verb=self.verb,
            object_type=self.object.type,
            object_id=local_object_id(self.object.type, self.object.id),
            occurred_at=self.timestamp,
            attempt=self.context.attempt if self.context else None,
        )

    def to_row(self, *, received_at: datetime) -> EventRow:
        """The ``learner_events`` row (``StatementError`` if impossible)."""
        result, context = self.result, self.context
        score_scaled = score_raw = score_min = score_max = duration_s = None
        success = completion = response = result_extensions = None
        if result is not None:
            score_raw, score_min, score_max = result.score_raw, result.score_min, result.score_max
            score_scaled = checked_score(
                result.score_scaled, score_raw, score_min, score_max, "result.score_"
            )
            success, completion, response = result.success, result.completion, result.response
            duration_s = result.duration_s
            result_extensions = local_extensions(result.extensions) if result.extensions else None
        course_id = module_id = registration = attempt = None
        extensions: dict[str, Any] = {}
        if context is not None:
            course_id, module_id = context.course_id, context.module_id
            registration, attempt = context.registration, context.attempt
            if context.extensions:
                extensions = local_extensions(context.extensions)
        occurred_at, actor_id, verb = self.timestamp.astimezone(UTC), self.actor.id, self.verb
        object_type, object_id = self.object.type, local_object_id(self.object.type, self.object.id)
        event_id = self.id or derive_event_id(
            actor_id=actor_id,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            occurred_at=occurred_at,
            attempt=attempt,
        )
        # Positional: keywords would cost a microsecond per statement on the intake's hot path.
        return EventRow(
            event_id, occurred_at, received_at, actor_id, verb, object_type, object_id, course_id, module_id,
            registration, attempt, score_scaled, success, completion, response, duration_s, extensions,
            score_raw, score_min, score_max, result_extensions, None,
        )  # fmt: skip


def checked_score(
    scaled: float | None, raw: float | None, low: float | None, high: float | None, field: str
) -> float | None:
    """The scaled score to store: as sent, or derived from raw within [min, max] when only those came.

    xAPI requires ``min < max`` and ``raw`` between them; a score that breaks that is a rejected statement.
    """
    if raw is None and low is None and high is None:
        return scaled
    errors = []
    if low is not None and high is not None and not low < high:
        errors.append((f"{field}min", f"min ({low}) must be below max ({high})"))
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        errors.append((f"{field}raw", f"raw ({raw}) must lie between min ({low}) and max ({high})"))
    if errors:
        raise StatementError(errors)
    if scaled is None and raw is not None and low is not None and high is not None:
        if math.isinf(high - low):  # a range wider than a double: halves give the same ratio, finite
            return (raw / 2 - low / 2) / (high / 2 - low / 2)
        return (raw - low) / (high - low)
    return scaled


def local_extensions(extensions: dict[str, Any]) -> dict[str, Any]:
    """Extension keys as stored: SkillStudio's own IRIs shortened to their name, any other key unchanged."""
    if not any(key.startswith(EXTENSION_BASE) for key in extensions):
        return extensions
    return {key.removeprefix(EXTENSION_BASE): value for key, value in extensions.items()}


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
    # Exactly uuid.uuid5(EVENT_NAMESPACE, key), spelled out to skip its per-call overhead on the hot path.
    key = (
        f"{actor_id}|{verb}|{object_type}:{object_id}|{occurred_at.astimezone(UTC).isoformat()}|"
        f"{'' if attempt is None else attempt}"
    )
    return uuid.UUID(bytes=hashlib.sha1(_NAMESPACE_BYTES + key.encode()).digest()[:16], version=5)


class EventRow(NamedTuple):
    """One ``learner_events`` row: the one shape every writer produces (both statement forms, ``event_row``
    for importers and the API's own changes) and every write path takes.

    Fields are the table's columns in its order, and their Python types give the column types
    (``COLUMN_TYPES``). New columns are only ever appended: ``write_events`` also takes rows cut after the
    first 17 (``extensions``), written before columns were appended, and stores the rest as NULL.
    """

    event_id: uuid.UUID
    occurred_at: datetime
    received_at: datetime
    actor_id: uuid.UUID
    verb: str
    object_type: str
    object_id: str
    course_id: uuid.UUID | None
    module_id: uuid.UUID | None
    registration: uuid.UUID | None
    attempt: int | None
    score_scaled: float | None
    success: bool | None
    completion: bool | None
    response: str | None
    duration_s: float | None
    extensions: dict[str, Any]
    score_raw: float | None
    score_min: float | None
    score_max: float | None
    result_extensions: dict[str, Any] | None
    context_activities: dict[str, Any] | None


EVENT_COLUMNS: tuple[str, ...] = EventRow._fields
_PG_TYPES = {
    uuid.UUID: "uuid", datetime: "timestamptz", str: "text", int: "int4", float: "float8", bool: "bool",
}  # fmt: skip


def _pg_type(hint: Any) -> str:
    if get_origin(hint) is dict:
        return "jsonb"
    if isinstance(hint, types.UnionType):  # ``X | None``: the column's type is X's
        return _pg_type(next(arg for arg in get_args(hint) if arg is not type(None)))
    return _PG_TYPES[hint]


# PostgreSQL type of each column, in column order, spelled as binary COPY and casts take them.
COLUMN_TYPES: tuple[str, ...] = tuple(_pg_type(hint) for hint in get_type_hints(EventRow).values())


class StatementLike(Protocol):
    """What both statement forms offer: the compact ``Statement`` and ``xapi.XapiStatement``."""

    @property
    def timestamp(self) -> datetime: ...

    def event_id(self) -> uuid.UUID: ...

    def to_row(self, *, received_at: datetime) -> EventRow: ...


def statement_to_row(statement: StatementLike, *, received_at: datetime) -> EventRow:
    """The ``learner_events`` row of a validated statement (either form)."""
    return statement.to_row(received_at=received_at)


def check_not_future(statement: StatementLike, *, received_at: datetime) -> None:
    """Reject a statement dated after it was received, beyond ordinary clock skew (either form)."""
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
    score_raw: float | None = None,
    score_min: float | None = None,
    score_max: float | None = None,
    result_extensions: dict[str, Any] | None = None,
    context_activities: dict[str, Any] | None = None,
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
    return EventRow(
        event_id, occurred_at, received_at or occurred_at, actor_id, verb, object_type, object_id,
        course_id, module_id, registration, attempt, score_scaled, success, completion, response,
        duration_s, extensions or {}, score_raw, score_min, score_max, result_extensions, context_activities,
    )  # fmt: skip
