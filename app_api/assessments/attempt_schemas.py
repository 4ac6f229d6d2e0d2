"""Attempts over HTTP.

``AttemptRead.result`` is null until the attempt is graded; it is the only place that carries
correctness or correct answers, so nothing about them can reach a learner before they submit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app_api.assessments.schemas import QuestionLearnerRead, no_nul
from app_api.common.pagination import Page

TextResponse = Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_nul)]
ChoiceList = Annotated[list[Annotated[str, StringConstraints(max_length=40)]], Field(max_length=50)]
Response = Annotated[
    TextResponse | Annotated[float, Field(allow_inf_nan=False)] | ChoiceList,
    Field(
        description="single_choice: an option id; multiple_choice: a list of option ids; numeric: a "
        "number; short_text: a string.",
        examples=["b", ["a", "c"], 3.14, "duplicate rows"],
    ),
]


class AnswerSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: Response


class AnswerItem(AnswerSave):
    question_id: uuid.UUID


class AttemptSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[AnswerItem] = Field(
        default_factory=list,
        max_length=500,
        description="Answers to save before grading (fixed mode); each replaces a saved answer.",
    )


class AttemptQuestionRead(QuestionLearnerRead):
    position: int = Field(description="1-based order in the attempt.")
    response: str | float | list[str] | None = Field(description="Your saved response; null if unanswered.")


class CorrectAnswerRead(BaseModel):
    options: list[str] | None = Field(default=None, description="Choice questions: the correct option ids.")
    value: float | None = Field(default=None, description="Numeric questions: the correct value.")
    tolerance: float | None = None
    accepted: list[str] | None = Field(default=None, description="Short-text questions: accepted answers.")


class ItemResultRead(BaseModel):
    question_id: uuid.UUID
    position: int
    response: str | float | list[str] | None
    is_correct: bool = Field(description="Unanswered questions count as incorrect.")
    correct_answer: CorrectAnswerRead | None = Field(
        description="Null when the assessment does not reveal answers."
    )


class SkillEstimateRead(BaseModel):
    skill_id: uuid.UUID
    theta: float = Field(description="Ability on the IRT scale (maximum likelihood).")
    standard_error: float = Field(description="Standard error of theta.")
    level: float = Field(description="The 1-10 level: 5.5 + 1.5 * theta, clipped to [1, 10].")
    level_standard_error: float = Field(description="1.5 * standard_error, capped at 9.")
    answered: int = Field(description="Questions of this skill answered in the attempt.")


class AttemptResultRead(BaseModel):
    score_scaled: float = Field(ge=0, le=1, description="Correct answers / questions served.")
    success: bool | None = Field(description="Passed the assessment's threshold; null without a threshold.")
    correct: int
    total: int
    items: list[ItemResultRead]
    skill_estimates: list[SkillEstimateRead] = Field(
        description="Diagnostic and adaptive attempts: the ability estimated per skill."
    )


class AttemptRead(BaseModel):
    attempt_id: uuid.UUID
    assessment_id: uuid.UUID
    user_id: uuid.UUID
    attempt_number: int
    status: Literal["in_progress", "submitted", "graded"]
    adaptive: bool
    started_at: datetime
    expires_at: datetime | None = Field(description="Answers are refused after this (time limit).")
    submitted_at: datetime | None
    submitted_late: bool = Field(
        description="Submitted after the time limit; only answers saved in time count."
    )
    questions: list[AttemptQuestionRead] = Field(
        description="Fixed mode: every question; adaptive mode: the questions served so far."
    )
    next_question_id: uuid.UUID | None = Field(description="Adaptive mode: the question to answer now.")
    finished: bool = Field(description="Adaptive mode: the stopping rule is met; submit to see the result.")
    result: AttemptResultRead | None = Field(description="Null until the attempt is submitted and graded.")


class AttemptSummaryRead(BaseModel):
    attempt_id: uuid.UUID
    assessment_id: uuid.UUID
    user_id: uuid.UUID
    attempt_number: int
    status: str
    started_at: datetime
    submitted_at: datetime | None
    score_scaled: float | None
    submitted_late: bool


class AttemptPage(Page[AttemptSummaryRead]):
    """A page of attempts, newest first."""
