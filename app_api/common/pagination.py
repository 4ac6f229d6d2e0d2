"""Keyset pages for every list of the API: opaque cursors over a stable sort key, never offsets.

A cursor carries a tag naming the list it came from and the sort key of the last item served; the next
page asks for rows strictly after that key. Sort keys end in a unique id and never use a column that edits
change (search ranks aside), so rows added or edited between requests never make a page repeat or skip a
row that was there before. A cursor handed to another list than its own is refused with a 400 naming the
list it belongs to, never read as a position in the wrong order; so is anything the API did not issue.

FastAPI-free, so that services can use it; the query-parameter aliases are in ``app_api.common.parameters``.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, tuple_

from skillstudio.errors import InvalidRequest

T = TypeVar("T")
Row = TypeVar("Row")
Statement = TypeVar("Statement", bound="Select[*tuple[Any, ...]]")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Longer than any cursor we make (a search cursor with a rank, a timestamp and an id is about 130).
MAX_CURSOR_LENGTH = 1000

_HOW = "pass next_cursor from the previous page of this list, or leave cursor out for the first page."
_MALFORMED = f"The cursor is not one this API issued; {_HOW}"
# Tags are ours ("skills", "courses:rank"); anything else found in a cursor is not echoed back.
_TAG = re.compile(r"[a-z][a-z:-]{0,39}")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last one."
    )


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest(_MALFORMED) from error
    if not isinstance(key, list) or not key:
        raise InvalidRequest(_MALFORMED)
    return key


def _convert(value: Any, kind: type) -> Any:
    if kind is datetime:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        if parsed is None or parsed.tzinfo is None:
            raise ValueError(value)
        return parsed
    if kind is uuid.UUID:
        if not isinstance(value, str):
            raise ValueError(value)
        return uuid.UUID(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(value)
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(value)
        return float(value)
    raise TypeError(kind)


def parse_cursor(cursor: str | None, *, tag: str, kinds: Sequence[type]) -> list[Any] | None:
    """The typed sort key inside ``cursor`` (None for the first page); ``InvalidRequest`` (400) for a
    cursor of another list, saying which, or for anything we did not make."""
    if cursor is None:
        return None
    key = _decode(cursor)
    found = key[0]
    if found != tag and isinstance(found, str) and _TAG.fullmatch(found):
        raise InvalidRequest(
            f"The cursor belongs to another list ({found!r}), not to this one ({tag!r}): a cursor only "
            f"continues the list and order it came from; {_HOW}"
        )
    if found != tag or len(key) != len(kinds) + 1:
        raise InvalidRequest(_MALFORMED)
    try:
        return [_convert(value, kind) for value, kind in zip(key[1:], kinds, strict=True)]
    except (ValueError, TypeError) as error:
        raise InvalidRequest(_MALFORMED) from error


def keyset(
    statement: Statement,
    *,
    columns: Sequence[Any],
    after: list[Any] | None,
    limit: int | ColumnElement[int],
    descending: bool = False,
) -> Statement:
    """``statement`` ordered by ``columns`` from just after ``after``, one row more than a page (``after``
    and ``limit`` may be bound parameters, for a statement built once and executed many times)."""
    if after is not None:
        position = tuple_(*columns)
        bound = tuple_(*after)
        statement = statement.where(position < bound if descending else position > bound)
    order = [column.desc() for column in columns] if descending else list(columns)
    return statement.order_by(*order).limit(limit + 1)


def page_of(
    rows: Sequence[Row], *, limit: int, tag: str, key_of: Callable[[Row], list[Any]]
) -> tuple[list[Row], str | None]:
    """The page's rows (of ``limit + 1`` fetched) and the cursor of the next page (None on the last)."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    return items, encode_cursor([tag, *key_of(items[-1])])
