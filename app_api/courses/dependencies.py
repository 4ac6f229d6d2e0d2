"""Request parameters shared by the catalogue, enrollment and progress routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query

from app_api.common.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app_api.courses.fields import SLUG_PATTERN
from skillstudio.web.security import Principal, RequireRole

Author = Annotated[Principal, RequireRole("instructor", "admin")]
Admin = Annotated[Principal, RequireRole("admin")]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="The ETag from your last read of the item; required to change or delete it.",
    ),
]
# Query-string filters are bounded and NUL-free, so no input reaches the database unchecked.


def slug_filter(description: str) -> Any:
    return Query(min_length=1, max_length=64, pattern=SLUG_PATTERN, description=description)


def text_filter(description: str) -> Any:
    return Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$", description=description)


Cursor = Annotated[
    str | None,
    Query(max_length=1000, description="next_cursor of the previous page; left out for the first."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1-{MAX_LIMIT}).")]
DEFAULT_PAGE = DEFAULT_LIMIT

_DESCRIPTIONS = {
    401: "No valid access token.",
    403: "The caller's role or ownership does not allow this.",
    404: "No such item, or one the caller may not see.",
    409: "The item's state does not allow this.",
    412: "If-Match names an older version: read the item again.",
    428: "If-Match is missing.",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem+json errors a route may answer with."""
    return {
        code: {"description": _DESCRIPTIONS[code], "content": {"application/problem+json": {}}}
        for code in codes
    }
