"""Request parameters every router states the same way: ``Annotated`` aliases and OpenAPI problem entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query

from app_api.common.pagination import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT
from skillstudio.web.security import Principal, RequireRole

Admin = Annotated[Principal, RequireRole("admin")]
Author = Annotated[Principal, RequireRole("instructor", "admin")]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        min_length=1,
        max_length=1000,
        description="The ETag from your last read of the item; required to change or delete it.",
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="next_cursor of the previous page of this list; left out for the first. A cursor of "
        "another list, or one the API did not issue, is refused with 400.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1-{MAX_LIMIT}).")]
DEFAULT_PAGE = DEFAULT_LIMIT

_DESCRIPTIONS = {
    401: "No valid access token.",
    403: "The caller's role or ownership does not allow this.",
    404: "No such item, or one the caller may not see.",
    409: "The item's state does not allow this.",
    422: "Invalid input, with field-level errors.",
    412: "If-Match names an older version: read the item again.",
    428: "If-Match is missing.",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem+json errors a route may answer with."""
    return {
        code: {"description": _DESCRIPTIONS[code], "content": {"application/problem+json": {}}}
        for code in codes
    }
