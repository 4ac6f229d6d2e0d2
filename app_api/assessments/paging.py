"""Keyset pages over (timestamp, id) for the assessment lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import QueryableAttribute

from app_api.common.pagination import Page, decode_cursor, encode_cursor
from skillstudio.web.problems import ProblemError

Row = TypeVar("Row")
PageT = TypeVar("PageT", bound=Page[Any])


def after_cursor(
    cursor: str | None,
    at: QueryableAttribute[Any],
    ident: QueryableAttribute[Any],
    *,
    descending: bool = False,
) -> ColumnElement[bool] | None:
    """The condition "strictly after the cursor's (timestamp, id)" in the list's sort order."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        position = (datetime.fromisoformat(key[0]), uuid.UUID(key[1]))
    except (ValueError, TypeError, IndexError) as error:
        raise ProblemError(422, "The cursor is not valid; use next_cursor from a previous page.") from error
    if descending:
        return tuple_(at, ident) < tuple_(*position)
    return tuple_(at, ident) > tuple_(*position)


def paged(statement: Select[Any], condition: ColumnElement[bool] | None, limit: int) -> Select[Any]:
    if condition is not None:
        statement = statement.where(condition)
    return statement.limit(limit + 1)


def page_of(
    page_type: type[PageT],
    rows: Sequence[Row],
    limit: int,
    key: Callable[[Row], tuple[datetime, uuid.UUID]],
    read: Callable[[Row], Any],
) -> PageT:
    """A page of ``limit`` rows from ``limit + 1`` fetched; the extra row says whether more follow."""
    more = len(rows) > limit
    shown = list(rows[:limit])
    next_cursor = encode_cursor([key(shown[-1])[0].isoformat(), str(key(shown[-1])[1])]) if more else None
    return page_type(items=[read(row) for row in shown], next_cursor=next_cursor)
