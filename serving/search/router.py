"""``GET /search``: published courses for a free-text query, by meaning and by words.

Public like the catalogue: anonymous callers and learners read the same published courses, so the answer
does not depend on who asks and drafts never appear (authors find their drafts through ``/courses``).
The query encoder is the app's (``app.state.search_encoder``), loaded by the first search of the process.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from models.search import SentenceEncoder
from serving.search.engine import SearchFilters, hybrid_search
from serving.search.schemas import SearchHit, SearchPage
from skillstudio.web.dependencies import SessionDep
from skillstudio.web.problems import PROBLEM_JSON

router = APIRouter(tags=["search"])

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # the catalogue's skill slugs
NO_NUL = r"^[^\x00]*$"
# One model in memory per process, however many apps the process builds (tests build one per test).
_ENCODER = SentenceEncoder()


def search_encoder() -> SentenceEncoder:
    return _ENCODER


@router.get(
    "/search",
    response_model=SearchPage,
    summary="Find published courses in plain words",
    description="Courses whose page means what the query says (sentence embeddings) fused with courses "
    "holding its words (full text), by reciprocal rank. Filters narrow both. Best match first.",
    responses={422: {"description": "A parameter is invalid.", "content": {PROBLEM_JSON: {}}}},
)
def search(
    request: Request,
    session: SessionDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, pattern=NO_NUL, description="What to look for, in plain words."),
    ],
    subject: Annotated[
        str | None, Query(min_length=1, max_length=200, pattern=NO_NUL, description="Subject, any case.")
    ] = None,
    level: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=NO_NUL,
            description="Level as the catalogue spells it (beginner, intermediate, advanced; imported "
            "catalogues may use their own words), any case.",
        ),
    ] = None,
    skill: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=SLUG_PATTERN,
            description="Skill slug: courses tagged with it or with a skill below it.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="How many courses to return.")] = 10,
) -> SearchPage:
    hits = hybrid_search(
        session,
        encoder=request.app.state.search_encoder,
        index=request.app.state.vector_index,
        query=q,
        filters=SearchFilters(subject=subject, level=level, skill=skill),
        limit=limit,
    )
    return SearchPage(query=q, items=[SearchHit.model_validate(hit, from_attributes=True) for hit in hits])
