"""Stored learner events written back as xAPI 1.0.3 statements (``GET /api/v1/events/{id}``).

The inverse of ``skillstudio.events.xapi``: posting what ``to_xapi`` writes maps to the same columns and the
same event id, so it is a duplicate of the event it came from. docs/events.md maps each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from skillstudio.events.contract import (
    EXTENSION_BASE,
    PLATFORM_IRI,
    VERBS,
    canonical_activity,
    canonical_context_activities,
    is_iri,
)
from skillstudio.events.iso_duration import format_duration
from skillstudio.events.xapi import ATTEMPT_EXT, COURSE_EXT, MODULE_EXT, named_containers

XAPI_VERSION = "1.0.3"


def _iri_keys(extensions: Mapping[str, Any]) -> dict[str, Any]:
    return {key if is_iri(key) else f"{EXTENSION_BASE}{key}": value for key, value in extensions.items()}


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_xapi(event: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ``learner_events`` row (by column name) as an xAPI 1.0.3 statement."""
    statement: dict[str, Any] = {
        "id": str(event["event_id"]),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": PLATFORM_IRI, "name": str(event["actor_id"])},
        },
        # A term dropped from the vocabulary after its events were stored still gets an IRI.
        "verb": {
            "id": VERBS.get(event["verb"], f"{PLATFORM_IRI}/xapi/verbs/{event['verb']}"),
            "display": {"en-US": event["verb"]},
        },
        "object": canonical_activity(event["object_type"], event["object_id"]),
    }
    score = {
        name: event[column]
        for name, column in (
            ("scaled", "score_scaled"),
            ("raw", "score_raw"),
            ("min", "score_min"),
            ("max", "score_max"),
        )
        if event[column] is not None
    }
    result: dict[str, Any] = {"score": score} if score else {}
    for name in ("success", "completion", "response"):
        if event[name] is not None:
            result[name] = event[name]
    if event["duration_s"] is not None:
        result["duration"] = format_duration(event["duration_s"])
    if event["result_extensions"]:
        result["extensions"] = _iri_keys(event["result_extensions"])
    if result:
        statement["result"] = result
    context: dict[str, Any] = {}
    if event["registration"] is not None:
        context["registration"] = str(event["registration"])
    activities = event["context_activities"] or canonical_context_activities(
        event["course_id"], event["module_id"]
    )
    if activities:
        context["contextActivities"] = activities
    extensions = _iri_keys(event["extensions"] or {})
    if event["context_activities"]:
        # Activities kept as sent may not name the course or module that came in as extensions.
        named_course, named_module = named_containers(event["context_activities"])
        for key, column, named in (
            (COURSE_EXT, "course_id", named_course),
            (MODULE_EXT, "module_id", named_module),
        ):
            if event[column] is not None and event[column] != named:
                extensions[key] = str(event[column])
    if event["attempt"] is not None:
        extensions[ATTEMPT_EXT] = event["attempt"]
    if extensions:
        context["extensions"] = extensions
    if context:
        statement["context"] = context
    statement |= {"timestamp": _instant(event["occurred_at"]), "stored": _instant(event["received_at"])}
    statement["version"] = XAPI_VERSION
    return statement
