"""ETags and If-Match: optimistic concurrency for every versioned item of the API.

Every editable item carries a ``version``; its ETag is built from id and version, and changes must send it
back in ``If-Match``: missing -> 428, stale -> 412. Comparison is strong (RFC 9110): weak tags and ``*``
never match, so a client always proves it has seen the version it is about to overwrite.
"""

from __future__ import annotations

import uuid

from skillstudio.errors import PreconditionFailed, PreconditionRequired


def etag(item_id: uuid.UUID, version: int) -> str:
    return f'"{item_id}.{version}"'


def check_if_match(if_match: str | None, *, current: str, what: str) -> None:
    """PreconditionRequired when ``If-Match`` is missing, PreconditionFailed unless it names ``current``."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            f"Changing this {what} needs an If-Match header with the ETag from your last read of it "
            f"(GET it to get one).",
            current_etag=current,
        )
    offered = [tag.strip() for tag in if_match.split(",")]
    if current not in offered:
        raise PreconditionFailed(
            f"This {what} was changed since you read it (If-Match {if_match.strip()} is not the current "
            f"ETag {current}). GET it again, reapply your change and send the new ETag.",
            current_etag=current,
        )
