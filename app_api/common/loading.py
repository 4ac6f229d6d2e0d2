"""Load or 404, authorise, check If-Match: the sequence every change to a stored item starts with.

FastAPI-free, so that services can use it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, Final, Literal, Protocol, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app_api.common.etags import check_if_match, etag
from skillstudio.errors import NotFound


class Unchecked(Enum):
    UNCHECKED = "unchecked"


UNCHECKED: Final = Unchecked.UNCHECKED
"""``if_match=UNCHECKED``: a read, or a change that does not name a version (the default)."""
IfMatchValue = str | None | Literal[Unchecked.UNCHECKED]


class Versioned(Protocol):
    version: Any


Item = TypeVar("Item")


def etag_of(item: Versioned) -> str:
    """The ETag of a stored item: its (single-column) primary key and its version."""
    identity = inspect(item).identity
    if identity is None:
        raise ValueError(f"{item!r} is not stored yet, so it has no ETag")
    return etag(identity[0], item.version)


def load(
    session: Session,
    entity: type[Item],
    ident: Any,
    *,
    missing: str,
    authorise: Callable[[Item], object] | None = None,
    lock: bool = False,
    if_match: IfMatchValue = UNCHECKED,
    what: str = "item",
) -> Item:
    """The ``entity`` row with primary key ``ident``, checked for the caller.

    NotFound(``missing``) when there is no such row; then ``authorise(item)`` raises what the caller may
    not do (it may also take locks, such as the owning course's); then, unless ``if_match`` is
    ``UNCHECKED``, the item's ETag must be the one ``If-Match`` names (see ``check_if_match``). ``lock``
    reads the row FOR UPDATE, so that no concurrent change slips in between the check and the write.
    """
    (key,) = inspect(entity).primary_key
    statement = select(entity).where(key == ident)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    item = session.scalars(statement).first()
    if item is None:
        raise NotFound(missing)
    if authorise is not None:
        authorise(item)
    if if_match is not UNCHECKED:
        if not lock:
            # Read before ``authorise`` took its locks: read it again, so the version checked is current.
            session.refresh(item)
        check_if_match(if_match, current=etag_of(item), what=what)  # type: ignore[arg-type]
    return item
