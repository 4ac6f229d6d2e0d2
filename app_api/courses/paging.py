"""Keyset pages for every catalogue, enrollment and progress list.

A cursor carries a tag naming the list order it belongs to and the sort key of the last item served; the
next page asks for rows strictly after that key. Sort keys end in a unique id and never use a column that
edits change (titles, ranks aside: see the course search), so rows added or edited between requests never
make a page repeat or skip a row that was there before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_

from app_api.common.pagination import decode_cursor, encode_cursor
from skillstudio.web.problems import ProblemError

Row = TypeVar("Row")
Statement = TypeVar("Statement", bound="Select[*tuple[Any, ...]]")

_INVALID = "The cursor is not valid for this list; use next_cursor from a previous page of the same query."


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
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(value)
        return float(value)
    raise TypeError(kind)


def parse_cursor(cursor: str | None, *, tag: str, kinds: Sequence[type]) -> list[Any] | None:
    """The typed sort key inside ``cursor`` (None for the first page); 422 for anything we did not make."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if len(key) != len(kinds) + 1 or key[0] != tag:
        raise ProblemError(422, _INVALID)
    try:
        return [_convert(value, kind) for value, kind in zip(key[1:], kinds, strict=True)]
    except (ValueError, TypeError) as error:
        raise ProblemError(422, _INVALID) from error


def keyset(
    statement: Statement,
    *,
    columns: Sequence[Any],
    after: list[Any] | None,
    limit: int,
    descending: bool = False,
) -> Statement:
    """``statement`` ordered by ``columns`` from just after ``after``, one row more than a page."""
    if after is not None:
        position = tuple_(*columns)
        bound = tuple_(*after)
        statement = statement.where(position < bound if descending else position > bound)
    order = [column.desc() for column in columns] if descending else list(columns)
    return statement.order_by(*order).limit(limit + 1)


def page_of(
    rows: Sequence[Row], *, limit: int, tag: str, key_of: Callable[[Row], list[Any]]
) -> tuple[list[Row], str | None]:
    """The page's rows and the cursor of the next page (None on the last)."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    return items, encode_cursor([tag, *key_of(items[-1])])
