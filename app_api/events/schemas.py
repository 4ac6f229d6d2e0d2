from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app_api.common.pagination import Page


class FieldError(BaseModel):
    field: str = Field(
        description="Where in the statement, e.g. `actor.account.name`; `statement` for all of it."
    )
    message: str


class Rejection(BaseModel):
    index: int = Field(description="Position of the statement in the submitted batch.")
    reason: str = Field(description="Every field error of the statement, as one line.")
    errors: list[FieldError]
    quarantine_id: int = Field(description="Where the statement is kept: GET /api/v1/admin/quarantine/{id}.")


class EventBatchRead(BaseModel):
    accepted: int = Field(description="Statements stored now.")
    duplicate: int = Field(
        description="Valid statements that were already stored (or repeated in the batch)."
    )
    rejected: int = Field(description="Statements that failed validation and were quarantined.")
    event_ids: list[uuid.UUID | None] = Field(
        description="The event id of each submitted statement, in order; null where rejected."
    )
    rejections: list[Rejection]


class QuarantineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    quarantine_id: int
    received_at: datetime
    batch_index: int = Field(description="Position of the statement in the batch it came in.")
    payload: Any = Field(description="The statement exactly as sent (see payload_wrapped).")
    payload_wrapped: bool = Field(
        description='True when the item was not a JSON object and is kept as {"value": ...}, or held '
        'U+0000 and is kept as its JSON text {"json": ...}.'
    )
    reasons: list[FieldError]
    resolved_at: datetime | None = Field(description="When a resubmission stored it; null while unresolved.")
    event_id: uuid.UUID | None = Field(description="The stored event, once resolved.")
    corrected_payload: Any = Field(description="The corrected statement the admin resubmitted, if any.")


QuarantinePage = Page[QuarantineRead]


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    # An operation's schema in the OpenAPI document has no place for its own $defs: inline them (none of
    # the statement models is recursive).
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def openapi_body(schema: dict[str, Any], description: str, *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that a route reads raw (parsing and validating it in one pass)."""
    content = {"application/json": {"schema": _inline(schema, schema.get("$defs", {}))}}
    return {"requestBody": {"required": required, "description": description, "content": content}}
