"""Validated field types shared by the catalogue, enrollment and progress schemas.

PostgreSQL text cannot hold NUL characters; letting one through would fail at the database with a 500, so
every free-text field refuses it here with a field-level 422 instead.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def not_null(value: object) -> object:
    """For PATCH fields that cannot be cleared: explicit null is refused, leaving the field out keeps it."""
    if value is None:
        raise ValueError("cannot be null; leave the field out to keep its current value")
    return value


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_nul)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_no_nul)
]
LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_no_nul)]
LessonContent = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_no_nul)]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=SLUG_PATTERN),
    Field(description="Lowercase letters and digits in words joined by hyphens.", examples=["sql-joins"]),
]

Level = Literal["beginner", "intermediate", "advanced"]
CourseStatus = Literal["draft", "published", "archived"]
Position = Annotated[int, Field(ge=1, le=100_000, description="1-based order within the course.")]
Minutes = Annotated[int, Field(ge=0, le=1_440, description="Estimated minutes; 0 when unknown.")]
