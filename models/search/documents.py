"""What a course's embedding is made of: the text its catalogue page shows a learner.

The page shows the title, the subject, the level and the description, so those are embedded (title first:
the model reads at most 256 word pieces and the title says the most per word). Skills are left out on
purpose: they are a curated taxonomy that a course may not have yet, and the search evaluation hides them
to measure what the words of the page alone find.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class CourseText:
    """The visible text of one course."""

    title: str
    subject: str | None = None
    level: str | None = None
    description: str | None = None


def course_document(course: CourseText) -> str:
    """The text embedded for ``course``: ``"title. subject, level. description"`` with empty parts left out.

    Examples
    --------
    >>> course_document(CourseText("SQL basics", "Data", "beginner", "Select rows."))
    'SQL basics. Data, beginner. Select rows.'
    """
    facets = ", ".join(part.strip() for part in (course.subject, course.level) if part and part.strip())
    parts = [course.title.strip(), facets, (course.description or "").strip()]
    return ". ".join(part.rstrip(".") for part in parts if part) + "."


def content_hash(document: str, model_name: str) -> str:
    """Changes whenever the text or the model changes: the embedding asset re-encodes exactly those."""
    return hashlib.sha256(f"{model_name}\n{document}".encode()).hexdigest()[:32]
