"""Checking a batch of statements: valid ones become rows, the others rejections with field-level reasons.

The common case, a batch with nothing wrong, costs one pydantic-core call: the raw request body is parsed
and validated in Rust in a single pass, and only then does Python touch each statement to build its row.
When something is wrong, the body is parsed again into plain values, each failing item is located and
explained on its own, and the rest are validated again together, so one bad statement never costs the
good ones of its batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import pydantic_core
from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from skillstudio.events.contract import MAX_CLOCK_SKEW, EventRow, Statement, StatementError
from skillstudio.events.xapi import XapiStatement, xapi_row

FieldErrors = list[tuple[str, str]]

# Both forms in one union, tried in order. Either order accepts the same statements; trying the wrong form
# first costs a failed attempt per statement, so batches that look like xAPI try xAPI first.
AnyStatement = Annotated[Statement | XapiStatement, Field(union_mode="left_to_right")]
BATCH = TypeAdapter(list[AnyStatement])
XapiFirst = Annotated[XapiStatement | Statement, Field(union_mode="left_to_right")]
_XAPI_FIRST = TypeAdapter(list[XapiFirst])
_COMPACT = TypeAdapter(Statement)
_XAPI = TypeAdapter(XapiStatement)
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_JSON_KINDS[type(None)] = "null"
_NUL_REASON = ("statement", "contains the character U+0000, which the event store cannot hold; remove it")


class InvalidBatch(ValueError):
    """The body as a whole is not a JSON array (so there are no statements to accept or quarantine)."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


class BatchTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"A batch holds at most {limit} statements; this one has {size}.")
        self.size, self.limit = size, limit


@dataclass(frozen=True)
class Rejected:
    """A statement that failed, as it was sent, with why."""

    index: int
    payload: Any
    errors: FieldErrors

    @property
    def reason(self) -> str:
        return reason_of(self.errors)


def reason_of(errors: FieldErrors) -> str:
    """A statement's field errors as one line: ``field: message; field: message``."""
    return "; ".join(f"{field}: {message}" for field, message in errors)


@dataclass(frozen=True)
class CheckedBatch:
    rows: list[EventRow]
    event_ids: list[uuid.UUID | None]
    rejected: list[Rejected]


def read_batch(body: bytes, *, received_at: datetime, limit: int) -> CheckedBatch:
    """Check a request body holding a JSON array of statements (either form, mixed freely)."""
    # JSON has no NaN or Infinity (pydantic's parser would take them) and jsonb cannot hold U+0000: a body
    # that may hold either takes the careful path, which parses strictly and checks every item.
    if not _needs_care(body):
        try:
            statements = (_XAPI_FIRST if b'"account"' in body else BATCH).validate_json(body)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            if not first["loc"]:
                raise InvalidBatch([("body", first["msg"])]) from error
        else:
            _check_size(len(statements), limit)
            checked = _rows(list(range(len(statements))), statements, [], received_at=received_at)
            if not checked.rejected:
                return checked
            # Statements that are well-formed but impossible (a date in the future...): quarantine
            # them exactly as sent.
            items = pydantic_core.from_json(body)
            rejected = [Rejected(item.index, items[item.index], item.errors) for item in checked.rejected]
            return CheckedBatch(rows=checked.rows, event_ids=checked.event_ids, rejected=rejected)
    try:
        items = pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as error:
        raise InvalidBatch([("body", f"Invalid JSON: {error}")]) from error
    if not isinstance(items, list):
        raise InvalidBatch([("body", "Input should be a valid array")])
    _check_size(len(items), limit)
    return check_statements(items, received_at=received_at)


def check_statements(items: Sequence[Any], *, received_at: datetime) -> CheckedBatch:
    """Check statements given as plain JSON values (parsed already), locating every failure."""
    failed: dict[int, FieldErrors] = {
        index: [_NUL_REASON] for index, item in enumerate(items) if _has_nul(item)
    }
    pending = [index for index in range(len(items)) if index not in failed]
    first = next((item for item in items if isinstance(item, dict)), {})
    adapter = _XAPI_FIRST if _looks_like_xapi(first) else BATCH
    while True:
        try:
            statements = adapter.validate_python([items[index] for index in pending])
            break
        except ValidationError as error:
            bad = {pending[int(detail["loc"][0])] for detail in error.errors(include_url=False)}
            failed.update((index, form_errors(items[index])) for index in bad)
            pending = [index for index in pending if index not in bad]
    rejected = [Rejected(index, items[index], errors) for index, errors in failed.items()]
    return _rows(pending, statements, rejected, received_at=received_at, items=items)


def form_errors(item: Any) -> FieldErrors:
    """Why an item is not a valid statement, judged against the form it was evidently written in."""
    if not isinstance(item, dict):
        kind = _JSON_KINDS.get(type(item), type(item).__name__)
        return [("statement", f"must be a JSON object (an xAPI statement or the compact form), not {kind}")]
    try:
        (_XAPI if _looks_like_xapi(item) else _COMPACT).validate_python(item)
    except ValidationError as error:
        return [
            (".".join(str(part) for part in detail["loc"]) or "statement", _message(detail))
            for detail in error.errors(include_url=False)
        ]
    return [("statement", "matches neither statement form")]


def _looks_like_xapi(item: dict[str, Any]) -> bool:
    actor, verb = item.get("actor"), item.get("verb")
    return isinstance(verb, dict) or (isinstance(actor, dict) and "id" not in actor)


def _message(detail: ErrorDetails) -> str:
    # Our own validators' messages read better without pydantic's "Value error, " in front.
    if detail["type"] == "value_error" and "error" in detail.get("ctx", {}):
        return str(detail["ctx"]["error"])
    return detail["msg"]


def _rows(
    indices: list[int],
    statements: Sequence[Statement | XapiStatement],
    rejected: list[Rejected],
    *,
    received_at: datetime,
    items: Sequence[Any] | None = None,
) -> CheckedBatch:
    size = len(indices) + len(rejected)
    event_ids: list[uuid.UUID | None] = [None] * size
    rows: list[EventRow] = []
    latest = received_at + MAX_CLOCK_SKEW
    for index, statement in zip(indices, statements, strict=True):
        try:
            if isinstance(statement, Statement):
                row = statement.to_row(received_at=received_at)
            else:
                row = xapi_row(statement, received_at=received_at)
        except StatementError as error:
            rejected.append(Rejected(index, items[index] if items is not None else None, error.errors))
            continue
        occurred_at = row.occurred_at
        if occurred_at > latest:
            message = f"{occurred_at.isoformat()} is in the future (received at {received_at.isoformat()})"
            rejected.append(
                Rejected(index, items[index] if items is not None else None, [("timestamp", message)])
            )
            continue
        rows.append(row)
        event_ids[index] = row.event_id
    rejected.sort(key=lambda item: item.index)
    return CheckedBatch(rows=rows, event_ids=event_ids, rejected=rejected)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _needs_care(body: bytes) -> bool:
    # A one-byte search is a memchr and costs next to nothing; the longer search runs only when the
    # byte is there (backslashes and capital N or I are rare in statements).
    return (
        (b"\\" in body and b"\\u0000" in body)
        or (b"N" in body and b"NaN" in body)
        or (b"I" in body and b"Infinity" in body)
    )


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise BatchTooLarge(size, limit)
