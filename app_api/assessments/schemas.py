"""Questions and assessments over HTTP.

Authors and learners get different question schemas: ``QuestionAuthorRead`` carries the answer key,
``QuestionLearnerRead`` is built from prompt and options only and has no field that could hold it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app_api.common.pagination import Page

QuestionType = Literal["single_choice", "multiple_choice", "numeric", "short_text"]
AssessmentType = Literal["quiz", "diagnostic", "tma", "cma", "exam"]
Selection = Literal["fixed", "adaptive"]


def no_nul(value: str) -> str:
    """PostgreSQL text and jsonb cannot hold NUL; refusing it here makes it a 422, not a database error."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Title = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(no_nul)]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=5000), AfterValidator(no_nul)]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(no_nul)]
OptionText = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(no_nul)]
AcceptedAnswer = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(no_nul)]

OptionId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$"),
    Field(
        description="The option's id, unique within the question (letters, digits, - and _).", examples=["b"]
    ),
]
Difficulty = Annotated[
    float,
    Field(ge=-6, le=6, description="IRT difficulty b on the ability scale (0 = average; typical -3..3)."),
]
Discrimination = Annotated[
    float, Field(gt=0, le=4, description="IRT discrimination a (1 = the Rasch model; typical 0.5..2.5).")
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(_Input):
    """A partial update: absent fields stay as they are; ``null`` is accepted only where it means "none"."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in self.model_fields_set - self.nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep the current value")
        return self


class ChoiceOptionCreate(_Input):
    id: OptionId
    text: OptionText
    correct: bool = Field(default=False, description="Whether choosing this option is (part of) the answer.")


class ChoiceOptionRead(BaseModel):
    id: str
    text: str


class ChoiceOptionAuthorRead(ChoiceOptionRead):
    correct: bool


class _QuestionCreateBase(_Input):
    skill_id: uuid.UUID = Field(description="The skill this question measures.")
    prompt: Prompt = Field(examples=["What does SELECT DISTINCT remove?"])
    difficulty: Difficulty = 0.0
    discrimination: Discrimination = 1.0


class _ChoiceQuestionCreate(_QuestionCreateBase):
    options: list[ChoiceOptionCreate] = Field(min_length=2, max_length=20)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [option.id for option in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"option ids must be unique; got {ids}")
        return self


class SingleChoiceQuestionCreate(_ChoiceQuestionCreate):
    question_type: Literal["single_choice"]

    @model_validator(mode="after")
    def _one_correct(self) -> Self:
        if sum(option.correct for option in self.options) != 1:
            raise ValueError("a single-choice question needs exactly one option with correct: true")
        return self


class MultipleChoiceQuestionCreate(_ChoiceQuestionCreate):
    question_type: Literal["multiple_choice"]

    @model_validator(mode="after")
    def _some_correct(self) -> Self:
        if not any(option.correct for option in self.options):
            raise ValueError("a multiple-choice question needs at least one option with correct: true")
        return self


class NumericQuestionCreate(_QuestionCreateBase):
    question_type: Literal["numeric"]
    numeric_answer: float = Field(allow_inf_nan=False, description="The correct value.", examples=[3.14])
    tolerance: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="Absolute tolerance: |response - value| <= this."
    )


class ShortTextQuestionCreate(_QuestionCreateBase):
    question_type: Literal["short_text"]
    accepted_answers: list[AcceptedAnswer] = Field(
        min_length=1,
        max_length=50,
        description="Answers graded correct after normalising (case, Unicode form, spacing).",
        examples=[["duplicate rows", "duplicates"]],
    )


QuestionCreate = Annotated[
    SingleChoiceQuestionCreate
    | MultipleChoiceQuestionCreate
    | NumericQuestionCreate
    | ShortTextQuestionCreate,
    Field(discriminator="question_type"),
]


class QuestionUpdate(_Patch):
    """Fields to change; the type of a question cannot change (author a new question instead)."""

    skill_id: uuid.UUID | None = None
    prompt: Prompt | None = None
    difficulty: Difficulty | None = None
    discrimination: Discrimination | None = None
    options: list[ChoiceOptionCreate] | None = Field(default=None, min_length=2, max_length=20)
    numeric_answer: float | None = Field(default=None, allow_inf_nan=False)
    tolerance: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    accepted_answers: list[AcceptedAnswer] | None = Field(default=None, min_length=1, max_length=50)


class QuestionAuthorRead(BaseModel):
    """A question with its answer key: for the course's instructor and admins only."""

    question_id: uuid.UUID
    course_id: uuid.UUID
    skill_id: uuid.UUID
    question_type: QuestionType
    prompt: str
    options: list[ChoiceOptionAuthorRead]
    numeric_answer: float | None
    tolerance: float | None
    accepted_answers: list[str] | None
    difficulty: float
    discrimination: float
    version: int = Field(description="Send it back as If-Match (the ETag) when you edit.")
    created_at: datetime
    updated_at: datetime


class QuestionLearnerRead(BaseModel):
    """A question as a learner sees it: no answer key, no IRT parameters."""

    question_id: uuid.UUID
    skill_id: uuid.UUID
    question_type: QuestionType
    prompt: str
    options: list[ChoiceOptionRead]


class _AssessmentSettings(_Input):
    description: Description | None = None
    time_limit_s: int | None = Field(
        default=None, ge=1, le=7 * 24 * 3600, description="Seconds from the start; null for no limit."
    )
    max_attempts: int | None = Field(default=None, ge=1, le=100, description="Null for unlimited attempts.")
    pass_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="score_scaled needed to pass; null: no pass/fail, only completed.",
    )
    target_standard_error: float | None = Field(
        default=None,
        ge=0.05,
        le=3,
        description="Adaptive mode: a skill stops once its ability's standard error (theta scale) is below "
        "this. Default 0.5.",
    )
    max_questions: int | None = Field(
        default=None, ge=1, le=500, description="Adaptive mode: the question cap; default the pool size."
    )
    reveal_answers: bool = Field(
        default=True, description="Show the correct answers after submission (correctness is always shown)."
    )
    due_at: AwareDatetime | None = None


class AssessmentCreate(_AssessmentSettings):
    title: Title = Field(examples=["SQL basics: check-up"])
    assessment_type: AssessmentType = Field(
        default="quiz", description="diagnostic attempts write skill levels to the learner's profile."
    )
    selection: Selection = Field(
        default="fixed", description="fixed: all questions in order; adaptive: chosen one by one by IRT."
    )
    status: Literal["draft", "published"] = "draft"
    question_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="Questions of this course's bank, in order."
    )


class AssessmentUpdate(_Patch):
    nullable: ClassVar[frozenset[str]] = frozenset(
        {"description", "time_limit_s", "max_attempts", "pass_threshold", "target_standard_error",
         "max_questions", "due_at"}
    )  # fmt: skip

    title: Title | None = None
    description: Description | None = None
    assessment_type: AssessmentType | None = None
    selection: Selection | None = None
    status: Literal["draft", "published", "archived"] | None = None
    question_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    time_limit_s: int | None = Field(default=None, ge=1, le=7 * 24 * 3600)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    pass_threshold: float | None = Field(default=None, ge=0, le=1)
    target_standard_error: float | None = Field(default=None, ge=0.05, le=3)
    max_questions: int | None = Field(default=None, ge=1, le=500)
    reveal_answers: bool | None = None
    due_at: AwareDatetime | None = None


class AssessmentRead(BaseModel):
    assessment_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    description: str | None
    assessment_type: AssessmentType
    selection: Selection
    status: str
    time_limit_s: int | None
    max_attempts: int | None
    pass_threshold: float | None
    target_standard_error: float | None
    max_questions: int | None
    reveal_answers: bool
    due_at: datetime | None
    question_count: int
    version: int = Field(description="Send it back as If-Match (the ETag) when you edit.")
    created_at: datetime
    updated_at: datetime


class AssessmentAuthorRead(AssessmentRead):
    question_ids: list[uuid.UUID]


class QuestionPage(Page[QuestionAuthorRead]):
    """A page of a course's question bank."""


class AssessmentPage(Page[AssessmentRead]):
    """A page of a course's assessments."""
