"""Server-side grading of one response, per question type. Pure functions, no database.

Rules (what an author can rely on):

- single choice: correct when the chosen option is the one correct option.
- multiple choice: all or nothing — correct when the chosen set equals the correct set exactly (order and
  repeats do not matter). All-or-nothing keeps every item dichotomous, which the IRT model needs.
- numeric: correct when ``|response - value| <= tolerance`` (absolute tolerance; a relative epsilon of 1e-9
  absorbs binary floating-point noise such as 0.1 + 0.2).
- short text: correct when the normalised response equals one normalised accepted answer. Normalising is
  Unicode NFKC, case folding, trimming and collapsing inner whitespace to one space; punctuation counts.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Any

# xAPI's delimiter for the choices of a multiple-choice response.
CHOICE_DELIMITER = "[,]"
MAX_TEXT_RESPONSE = 1000


class ResponseError(ValueError):
    """A response whose shape does not fit the question (a 422 for the caller)."""


def normalise_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def check_response(question_type: str, option_ids: Sequence[str], response: Any) -> Any:
    """The response in its canonical form, or ``ResponseError`` saying what this question takes."""
    if question_type == "single_choice":
        if not isinstance(response, str) or response not in option_ids:
            raise ResponseError(
                f"This single-choice question takes one option id, one of {list(option_ids)}."
            )
        return response
    if question_type == "multiple_choice":
        if not isinstance(response, list) or not all(isinstance(choice, str) for choice in response):
            raise ResponseError(
                f"This multiple-choice question takes a list of option ids from {list(option_ids)}."
            )
        unknown = sorted(set(response) - set(option_ids))
        if unknown:
            raise ResponseError(f"Unknown option ids {unknown}; choose from {list(option_ids)}.")
        return sorted(set(response))
    if question_type == "numeric":
        if isinstance(response, bool) or not isinstance(response, int | float) or not math.isfinite(response):
            raise ResponseError("This numeric question takes a finite number.")
        return float(response)
    if question_type == "short_text":
        if not isinstance(response, str) or len(response) > MAX_TEXT_RESPONSE:
            raise ResponseError(
                f"This short-text question takes a string of at most {MAX_TEXT_RESPONSE} characters."
            )
        return response
    raise ResponseError(f"Unknown question type {question_type!r}.")


def is_correct(question_type: str, answer_key: dict[str, Any], response: Any) -> bool:
    """Grade a response already checked by ``check_response``."""
    if question_type == "single_choice":
        return [response] == list(answer_key["correct_options"])
    if question_type == "multiple_choice":
        return set(response) == set(answer_key["correct_options"])
    if question_type == "numeric":
        value = float(answer_key["value"])
        tolerance = float(answer_key.get("tolerance", 0.0))
        return abs(float(response) - value) <= tolerance + 1e-9 * max(1.0, abs(value))
    if question_type == "short_text":
        given = normalise_text(response)
        return any(given == normalise_text(accepted) for accepted in answer_key["accepted"])
    raise ValueError(f"unknown question type {question_type!r}")


def response_text(question_type: str, response: Any) -> str:
    """The response as the text of an xAPI ``result.response``."""
    if question_type == "multiple_choice":
        return CHOICE_DELIMITER.join(response)
    if question_type == "numeric":
        return repr(float(response))
    return str(response)
