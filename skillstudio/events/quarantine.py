"""The quarantine: statements that failed validation, kept as sent with their reasons, never dropped.

Rows are written in the caller's transaction, beside the batch's accepted events, so a batch is stored
whole or not at all. PostgreSQL's jsonb holds any JSON value except text containing U+0000; such a payload
is kept as its JSON text instead, and so is one holding a number beyond double range (read as infinity,
which jsonb cannot hold). A payload that is not a JSON object is wrapped, and ``payload_wrapped``
says so; ``unwrap`` gives back what was sent either way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from skillstudio.events.intake import FieldErrors, Rejected


def storable(payload: Any) -> tuple[Any, bool]:
    """``(what to store in the jsonb column, whether it is wrapped)`` for a payload as sent."""
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a number beyond double range, read as infinity: jsonb has no infinity
        return {"json": json.dumps(payload, ensure_ascii=False)}, True
    if "\\u0000" in text:
        return {"json": text}, True
    if isinstance(payload, dict):
        return payload, False
    return {"value": payload}, True


def unwrap(stored: Any, wrapped: bool) -> Any:
    """The payload as it was sent, from what ``storable`` stored."""
    if not wrapped:
        return stored
    if "json" in stored:
        return json.loads(stored["json"])
    return stored["value"]


def reasons_json(errors: FieldErrors) -> list[dict[str, str]]:
    return [{"field": field, "message": message} for field, message in errors]


def quarantine(conn: psycopg.Connection, rejected: Sequence[Rejected], *, received_at: datetime) -> list[int]:
    """Store rejected statements; their quarantine ids, in the order given. Commits nothing."""
    if not rejected:
        return []
    payloads, wrapped = zip(*(storable(item.payload) for item in rejected), strict=True)
    rows = conn.execute(
        "insert into event_quarantine (received_at, batch_index, payload, payload_wrapped, reasons) "
        "select %s, batch_index, payload, payload_wrapped, reasons "
        "from unnest(%s::int[], %s::jsonb[], %s::bool[], %s::jsonb[]) "
        "as given (batch_index, payload, payload_wrapped, reasons) "
        "returning batch_index, quarantine_id",
        (
            received_at,
            [item.index for item in rejected],
            [Jsonb(payload) for payload in payloads],
            list(wrapped),
            [Jsonb(reasons_json(item.errors)) for item in rejected],
        ),
    ).fetchall()
    by_index: dict[int, int] = dict(rows)
    return [by_index[item.index] for item in rejected]
