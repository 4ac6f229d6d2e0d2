from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    course_id: uuid.UUID
    title: str
    subject: str
    level: str
    score: float = Field(description="Reciprocal-rank-fusion score: higher is better; only the order means.")
    semantic_rank: int | None = Field(
        description="Place among the courses nearest in meaning (null: not in the first 50)."
    )
    keyword_rank: int | None = Field(
        description="Place among the full-text matches (null: none of the query's words, or past 50)."
    )


class SearchPage(BaseModel):
    query: str
    items: list[SearchHit]
