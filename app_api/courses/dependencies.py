"""Query-string filters of the catalogue routers: bounded and NUL-free, so no input reaches the database
unchecked."""

from __future__ import annotations

from typing import Any

from fastapi import Query

from app_api.courses.fields import SLUG_PATTERN


def slug_filter(description: str) -> Any:
    return Query(min_length=1, max_length=64, pattern=SLUG_PATTERN, description=description)


def text_filter(description: str) -> Any:
    return Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$", description=description)
