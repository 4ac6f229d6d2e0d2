from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class RecommendedCourse(BaseModel):
    course_id: uuid.UUID
    title: str
    score: float = Field(description="Model score; a popularity share when the answer is a fallback.")
    rank: int


class RecommendationPage(BaseModel):
    learner_id: uuid.UUID
    model_name: str
    model_version: str
    fallback: bool = Field(description="True when the learner is unknown to the model: most popular courses.")
    items: list[RecommendedCourse]
