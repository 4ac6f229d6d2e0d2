"""Cursor pagination: opaque cursors over a stable sort key, never offsets.

A cursor encodes the sort key of the last item served; the next page asks for items strictly after it.
Offsets skip or repeat rows when the table changes between requests; keyset cursors do not.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from skillstudio.web.problems import ProblemError

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last one."
    )


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key inside a cursor; a 422 problem when the cursor was not made by us."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise ProblemError(422, "The cursor is not valid; use next_cursor from a previous page.") from error
    if not isinstance(key, list):
        raise ProblemError(422, "The cursor is not valid; use next_cursor from a previous page.")
    return key
