"""Genuine xAPI 1.0.3 statements, read as LRS tools send them.

Reading maps every xAPI field we keep onto a ``learner_events`` column (docs/events.md has the table) and
gives the same row as the compact form of ``skillstudio.events.contract`` for the same action; writing a
stored event back as a statement is ``skillstudio.events.xapi_export``. Fields with no column (the actor's
display name, activity names and descriptions, context platform or language) are accepted and deliberately
not kept; anything the platform must never hold (an actor identified by email) or cannot represent
(attachments, groups, sub-statements) makes the statement fail with a reason.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, Field, with_config
from typing_extensions import TypedDict

from skillstudio.events.contract import (
    ACTIVITY_BASE,
    ACTIVITY_TYPES,
    EXTENSION_BASE,
    MAX_ATTEMPT,
    OBJECT_TYPE_BY_IRI,
    VERB_BY_IRI,
    VERBS,
    EventRow,
    FreeForm,
    StatementError,
    canonical_context_activities,
    checked_score,
    derive_event_id,
    local_extensions,
    local_object_id,
    shown,
)
from skillstudio.events.iso_duration import parse_duration

PSEUDONYMOUS_ONLY = (
    "the platform stores pseudonymous accounts only, never emails or other personal identifiers; "
    'identify the actor as {"objectType": "Agent", "account": {"homePage": "<your platform>", '
    '"name": "<learner UUID>"}}'
)
_TRAILING_UUID = re.compile(r"([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/?$")
# SkillStudio extensions that have a column of their own rather than a place in ``extensions``.
COURSE_EXT, MODULE_EXT, ATTEMPT_EXT = (
    f"{EXTENSION_BASE}{name}" for name in ("course-id", "module-id", "attempt")
)


_FORBID = ConfigDict(extra="forbid", allow_inf_nan=False)


def _reject_personal_identifier(value: Any) -> Any:
    raise ValueError(PSEUDONYMOUS_ONLY)


def _reject_attachments(value: Any) -> Any:
    raise ValueError("attachments are not supported; send the statement without them")


def _known_verb(value: str) -> str:
    if value not in VERB_BY_IRI:
        raise ValueError(
            f"unknown verb IRI {shown(value)}; use one of the vocabulary: {', '.join(VERBS.values())}"
        )
    return value


# The statement parts are TypedDicts rather than models: pydantic-core builds plain dicts about twice as
# fast as model instances, and a batch of xAPI statements holds a dozen nested parts per statement.
@with_config(_FORBID)
class XapiAccount(TypedDict):
    homePage: Annotated[str, Field(min_length=1)]
    name: uuid.UUID


PersonalIdentifier = Annotated[Any, AfterValidator(_reject_personal_identifier)]


@with_config(_FORBID)
class XapiAgent(TypedDict):
    objectType: NotRequired[Literal["Agent"]]
    name: NotRequired[str]  # accepted, never stored
    account: XapiAccount
    mbox: NotRequired[PersonalIdentifier]
    mbox_sha1sum: NotRequired[PersonalIdentifier]
    openid: NotRequired[PersonalIdentifier]


@with_config(_FORBID)
class XapiVerb(TypedDict):
    id: Annotated[str, AfterValidator(_known_verb)]
    display: NotRequired[dict[str, str]]


# Names, descriptions and interaction details belong to the catalogue; only the type is kept.
@with_config(ConfigDict(extra="ignore"))
class XapiDefinition(TypedDict):
    type: NotRequired[str]


@with_config(_FORBID)
class XapiActivity(TypedDict):
    objectType: NotRequired[Literal["Activity"]]
    id: Annotated[str, Field(min_length=1, max_length=2048)]
    definition: NotRequired[XapiDefinition]


# xAPI allows a single activity where a list is expected.
Activities = Annotated[list[XapiActivity] | XapiActivity, Field(union_mode="left_to_right")]


@with_config(_FORBID)
class XapiContextActivities(TypedDict):
    parent: NotRequired[Activities]
    grouping: NotRequired[Activities]
    category: NotRequired[Activities]
    other: NotRequired[Activities]


@with_config(_FORBID)
class XapiContext(TypedDict):
    registration: NotRequired[uuid.UUID]
    contextActivities: NotRequired[XapiContextActivities]
    extensions: NotRequired[FreeForm]
    # Accepted and not stored (see the module docstring).
    instructor: NotRequired[Any]
    team: NotRequired[Any]
    revision: NotRequired[str]
    platform: NotRequired[str]
    language: NotRequired[str]
    statement: NotRequired[Any]


@with_config(_FORBID)
class XapiScore(TypedDict):
    scaled: NotRequired[Annotated[float, Field(ge=-1.0, le=1.0)]]
    raw: NotRequired[float]
    min: NotRequired[float]
    max: NotRequired[float]


Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0.0)]


@with_config(_FORBID)
class XapiResult(TypedDict):
    score: NotRequired[XapiScore]
    success: NotRequired[bool]
    completion: NotRequired[bool]
    response: NotRequired[Annotated[str, Field(max_length=10_000)]]
    duration: NotRequired[Duration]  # ISO 8601, e.g. "PT1M30.5S", read as seconds
    extensions: NotRequired[FreeForm]


@with_config(_FORBID)
class XapiStatement(TypedDict):
    """A statement as an LRS tool sends it (xAPI 1.0.3); validated, it is a plain dict."""

    id: NotRequired[uuid.UUID]
    actor: XapiAgent
    verb: XapiVerb
    object: XapiActivity
    result: NotRequired[XapiResult]
    context: NotRequired[XapiContext]
    timestamp: AwareDatetime
    # Set by the receiving LRS (us): accepted from a forwarding LRS and replaced.
    stored: NotRequired[Any]
    authority: NotRequired[Any]
    version: NotRequired[Annotated[str, Field(pattern=r"^1\.0(\.\d+)?$")]]
    attachments: NotRequired[Annotated[Any, AfterValidator(_reject_attachments)]]


def xapi_row(statement: XapiStatement, *, received_at: datetime) -> EventRow:
    """The ``learner_events`` row of a validated xAPI statement (``StatementError`` if impossible)."""
    errors: list[tuple[str, str]] = []
    object_type, object_id = _object(statement["object"], errors)
    course_id = module_id = registration = attempt = context_activities = None
    extensions: dict[str, Any] = {}
    context = statement.get("context")
    if context is not None:
        registration = context.get("registration")
        if given_extensions := context.get("extensions"):
            extensions, course_id, module_id, attempt = _context_extensions(given_extensions, errors)
        if (activities := context.get("contextActivities")) is not None:
            course_id, module_id, context_activities = _context_activities(
                activities, course_id, module_id, errors
            )
    score_scaled = score_raw = score_min = score_max = duration_s = None
    success = completion = response = result_extensions = None
    result = statement.get("result")
    if result is not None:
        if (score := result.get("score")) is not None:
            score_raw, score_min, score_max = score.get("raw"), score.get("min"), score.get("max")
            try:
                score_scaled = checked_score(
                    score.get("scaled"), score_raw, score_min, score_max, "result.score."
                )
            except StatementError as error:
                errors.extend(error.errors)
        success, completion = result.get("success"), result.get("completion")
        response, duration_s = result.get("response"), result.get("duration")
        if given_extensions := result.get("extensions"):
            result_extensions = local_extensions(given_extensions)
    if errors:
        raise StatementError(errors)
    actor_id = statement["actor"]["account"]["name"]
    verb = VERB_BY_IRI[statement["verb"]["id"]]
    occurred_at = statement["timestamp"].astimezone(UTC)
    event_id = statement.get("id") or derive_event_id(
        actor_id=actor_id, verb=verb, object_type=object_type, object_id=object_id,
        occurred_at=occurred_at, attempt=attempt,
    )  # fmt: skip
    return EventRow(
        event_id, occurred_at, received_at, actor_id, verb, object_type, object_id, course_id, module_id,
        registration, attempt, score_scaled, success, completion, response, duration_s, extensions,
        score_raw, score_min, score_max, result_extensions, context_activities,
    )  # fmt: skip


def _activity_type(activity: XapiActivity) -> str | None:
    """Our object type of an activity: from ``definition.type``, else from a SkillStudio activity IRI."""
    definition = activity.get("definition")
    if definition is not None and "type" in definition:
        return OBJECT_TYPE_BY_IRI.get(definition["type"])
    if activity["id"].startswith(ACTIVITY_BASE):
        kind = activity["id"][len(ACTIVITY_BASE) :].split("/", 1)[0]
        return kind if kind in ACTIVITY_TYPES else None
    return None


def _object(activity: XapiActivity, errors: list[tuple[str, str]]) -> tuple[str, str]:
    object_type = _activity_type(activity)
    if object_type is None:
        given = activity.get("definition", {}).get("type")
        message = (
            f"unknown activity type IRI {shown(given)}"
            if given
            else "required: the activity type IRI of the object (or a SkillStudio activity id)"
        )
        errors.append(
            ("object.definition.type", f"{message}; use one of: {', '.join(ACTIVITY_TYPES.values())}")
        )
        return "", ""
    return object_type, local_object_id(object_type, activity["id"])


def _context_extensions(
    given: dict[str, Any], errors: list[tuple[str, str]]
) -> tuple[dict[str, Any], uuid.UUID | None, uuid.UUID | None, int | None]:
    course_id = module_id = attempt = None
    kept = {}
    for key, value in given.items():
        field = f"context.extensions.{key}"
        if key in (COURSE_EXT, MODULE_EXT):
            try:
                parsed = uuid.UUID(str(value))
            except ValueError:
                errors.append((field, f"must be a UUID, not {shown(value)}"))
                continue
            if key == COURSE_EXT:
                course_id = parsed
            else:
                module_id = parsed
        elif key == ATTEMPT_EXT:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                errors.append((field, f"must be a whole number from 1, not {shown(value)}"))
            elif value > MAX_ATTEMPT:
                errors.append((field, f"must be at most {MAX_ATTEMPT}, not {shown(value)}"))
            else:
                attempt = value
        else:
            kept[key] = value
    return local_extensions(kept), course_id, module_id, attempt


_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")


def _context_activities(
    given: Mapping[str, Any],
    course_id: uuid.UUID | None,
    module_id: uuid.UUID | None,
    errors: list[tuple[str, str]],
) -> tuple[uuid.UUID | None, uuid.UUID | None, dict[str, Any] | None]:
    """Course and module from the parent/grouping activities, and what to keep of the whole."""
    lists: dict[str, list[XapiActivity]] = {}
    for key in _ACTIVITY_KEYS:
        if activities := given.get(key):
            lists[key] = activities if isinstance(activities, list) else [activities]
    found: dict[str, uuid.UUID | None] = {"course": course_id, "module": module_id}
    for key in ("parent", "grouping"):
        for position, activity in enumerate(lists.get(key, ())):
            kind = _activity_type(activity)
            if kind not in found:
                continue
            field = f"context.contextActivities.{key}.{position}.id"
            parsed = _trailing_uuid(activity["id"])
            if parsed is None:
                errors.append(
                    (field, f"a {kind} activity id must end in the {kind} UUID, not {shown(activity['id'])}")
                )
                continue
            if found[kind] is not None and found[kind] != parsed:
                errors.append(
                    (field, f"names {kind} {parsed}, but the statement also names {kind} {found[kind]}")
                )
                continue
            found[kind] = parsed
    # Activities that say no more than the course and module columns are not stored twice; this keeps
    # the row of a statement in our own canonical form identical to the compact form's.
    canonical = _canonical_cached(found["course"], found["module"])
    if lists == canonical:
        return found["course"], found["module"], None
    kept = {key: [_reduced(activity) for activity in activities] for key, activities in lists.items()}
    if kept == canonical:
        return found["course"], found["module"], None
    return found["course"], found["module"], kept or None


@lru_cache(maxsize=65_536)
def _trailing_uuid(iri: str) -> uuid.UUID | None:
    # Cached: the statements of a stream name the same few courses and modules over and over.
    match = _TRAILING_UUID.search(iri)
    return None if match is None else uuid.UUID(match.group(1))


def _reduced(activity: XapiActivity) -> dict[str, Any]:
    """What is kept of a context activity: its id and type."""
    kept: dict[str, Any] = {"objectType": "Activity", "id": activity["id"]}
    definition = activity.get("definition")
    if definition is not None and "type" in definition:
        kept["definition"] = {"type": definition["type"]}
    return kept


# Statements of a batch share a few courses: compare against one cached canonical form per course/module.
@lru_cache(maxsize=4096)
def _canonical_cached(course_id: uuid.UUID | None, module_id: uuid.UUID | None) -> dict[str, Any]:
    return canonical_context_activities(course_id, module_id)


def named_containers(activities: Mapping[str, Any]) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The course and module that stored context activities name (None where they name none)."""
    course_id, module_id, _ = _context_activities(activities, None, None, [])
    return course_id, module_id
