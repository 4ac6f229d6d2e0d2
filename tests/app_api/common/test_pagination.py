"""Keyset cursors: each continues only the list it came from; anything else is refused with a clear detail."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from app_api.common.pagination import encode_cursor, page_of, parse_cursor
from skillstudio.errors import InvalidRequest
from skillstudio.web.problems import status_of

KINDS = (datetime, uuid.UUID)


def test_a_cursor_reads_back_as_the_key_it_was_made_from() -> None:
    created, row_id = datetime(2026, 3, 1, 12, 30, tzinfo=UTC), uuid.uuid4()
    items, cursor = page_of([1, 2, 3], limit=2, tag="goals", key_of=lambda _: [created, row_id])
    assert items == [1, 2] and cursor is not None
    assert parse_cursor(cursor, tag="goals", kinds=KINDS) == [created, row_id]
    assert parse_cursor(None, tag="goals", kinds=KINDS) is None


def test_a_cursor_of_another_list_is_a_400_naming_that_list() -> None:
    cursor = encode_cursor(["skills", "2026-03-01T12:30:00+00:00", str(uuid.uuid4())])
    with pytest.raises(InvalidRequest) as refused:
        parse_cursor(cursor, tag="goals", kinds=KINDS)
    assert status_of(refused.value) == 400
    assert "another list ('skills'), not to this one ('goals')" in refused.value.detail
    assert "next_cursor" in refused.value.detail


# A fixed id: parameters are the same in every collection (pytest-xdist's workers must collect alike).
SOME_ID = uuid.UUID("3d127e3a-22a2-4c81-acdb-3f2376860d73")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all",
        base64.urlsafe_b64encode(b"{}").decode(),  # JSON, but not a key
        encode_cursor([]),
        encode_cursor(["goals", "2026-03-01T12:30:00+00:00"]),  # one value short
        encode_cursor(["goals", "2026-03-01T12:30:00", str(SOME_ID)]),  # no time zone
        encode_cursor(["goals", "2026-03-01T12:30:00+00:00", "not-a-uuid"]),
        encode_cursor([7, "2026-03-01T12:30:00+00:00", str(SOME_ID)]),
        # Whatever else a cursor carries is not echoed back as a list's name.
        encode_cursor(["<script>", "2026-03-01T12:30:00+00:00", str(SOME_ID)]),
    ],
)
def test_anything_the_api_did_not_issue_is_a_400_without_echoing_it(cursor: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_cursor(cursor, tag="goals", kinds=KINDS)
    assert status_of(refused.value) == 400
    assert refused.value.detail.startswith("The cursor is not one this API issued;")
    assert "script" not in refused.value.detail
