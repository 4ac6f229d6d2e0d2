from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

# The arm of the live experiment a list was served from (serving/experiments.py).
Variant = Literal["champion", "challenger"]


class Reason(BaseModel):
    signal: Literal["collaborative", "content", "gap", "popularity"] = Field(
        description="Which part of the hybrid this reason comes from."
    )
    text: str = Field(
        description='In plain words, e.g. "closes your gap in SQL: level 3 → 6", "because you finished '
        'Python Basics", "popular with learners like you", "popular on SkillStudio".'
    )


class RecommendedCourse(BaseModel):
    course_id: uuid.UUID
    title: str
    score: float = Field(
        description="The hybrid's blended score (collaborative, content, goal gap, popularity)."
    )
    rank: int
    reasons: list[Reason] = Field(description="Why this course, largest part of the score first.")


class RecommendationPage(BaseModel):
    learner_id: uuid.UUID
    model_name: str
    model_version: str
    variant: Variant = Field(
        default="champion",
        description="Which arm of the live experiment served this list: the champion, or the challenger "
        "(SKILLSTUDIO_RECOMMENDER_CHALLENGER_SHARE of learners, by a hash of their id).",
    )
    fallback: bool = Field(
        description="True when neither the model nor the learner's courses or goals say anything about them: "
        "most popular courses."
    )
    items: list[RecommendedCourse]
