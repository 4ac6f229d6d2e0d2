"""Course search: filters, free text and keyset pages over what the caller may see.

Free text uses PostgreSQL's built-in full-text search on ``courses.search_vector`` (title weighted above
subject and description, English stemming, case-insensitive): each word of the query must match a word of
the course, as a prefix, so ``pyth`` finds "Python". The embedded server ships without pg_trgm, so
trigram similarity is not an option. With ``q`` the results come best match first (``ts_rank``), else
newest first; both orders end in the course id, so a page never repeats or skips a course that was already
there when the first page was read. Only a course edited between two pages can move in the ranking.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, cast, func, literal_column, select
from sqlalchemy.orm import Session

from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses.access import visible_clause
from app_api.courses.models import Course, CourseSkill, Skill
from app_api.courses.reads import course_reads
from app_api.courses.schemas import CoursePage
from skillstudio.errors import InvalidContent
from skillstudio.web.principals import Principal

_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS = 16


@dataclass(frozen=True)
class CourseFilters:
    subject: str | None = None
    level: str | None = None
    skill: str | None = None
    q: str | None = None
    status: str | None = None
    instructor_id: uuid.UUID | None = None


def prefix_query(text: str) -> str:
    """A ``to_tsquery`` string in which every word of ``text`` must match as a prefix.

    Only letters and digits reach the query, so no input can be a tsquery syntax error.
    """
    words = _WORD.findall(text)[:MAX_QUERY_WORDS]
    if not words:
        raise InvalidContent(
            "The search text needs at least one letter or digit.",
            errors=[{"field": "query.q", "message": "no letters or digits", "type": "value_error"}],
        )
    return " & ".join(f"{word.lower()}:*" for word in words)


def _skill_and_descendants(slug: str) -> Any:
    """Ids of the skill ``slug`` and every skill below it in the taxonomy."""
    tree = select(Skill.skill_id).where(Skill.slug == slug).cte("skill_tree", recursive=True)
    tree = tree.union(select(Skill.skill_id).join(tree, Skill.parent_skill_id == tree.c.skill_id))
    return select(tree.c.skill_id)


def list_courses(
    *, session: Session, viewer: Principal | None, filters: CourseFilters, cursor: str | None, limit: int
) -> CoursePage:
    statement = select(Course).where(visible_clause(viewer))
    if filters.subject is not None:
        statement = statement.where(func.lower(Course.subject) == filters.subject.lower())
    if filters.level is not None:
        statement = statement.where(func.lower(Course.level) == filters.level.lower())
    if filters.status is not None:
        statement = statement.where(Course.status == filters.status)
    if filters.instructor_id is not None:
        statement = statement.where(Course.instructor_id == filters.instructor_id)
    if filters.skill is not None:
        tagged = select(CourseSkill.course_id).where(
            CourseSkill.skill_id.in_(_skill_and_descendants(filters.skill))
        )
        statement = statement.where(Course.course_id.in_(tagged))

    columns: tuple[Any, ...]
    kinds: tuple[type, ...]
    if filters.q is not None:
        query = func.to_tsquery(literal_column("'english'::regconfig"), prefix_query(filters.q))
        rank = cast(func.ts_rank(Course.search_vector, query), Float)
        statement = statement.where(Course.search_vector.op("@@")(query)).add_columns(rank)
        tag, kinds, columns = "courses:rank", (float, uuid.UUID), (rank, Course.course_id)
    else:
        tag, kinds, columns = "courses:new", (datetime, uuid.UUID), (Course.created_at, Course.course_id)
    after = parse_cursor(cursor, tag=tag, kinds=kinds)
    rows = session.execute(
        keyset(statement, columns=columns, after=after, limit=limit, descending=True)
    ).all()

    def key_of(row: Any) -> list[Any]:
        course: Course = row[0]
        return [row[1] if filters.q is not None else course.created_at, course.course_id]

    items, next_cursor = page_of(rows, limit=limit, tag=tag, key_of=key_of)
    return CoursePage(items=course_reads(session, courses=[row[0] for row in items]), next_cursor=next_cursor)
