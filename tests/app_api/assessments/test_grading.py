"""Server-side grading of each question type, with the values an author relies on."""

from __future__ import annotations

import pytest

from app_api.assessments.grading import (
    ResponseError,
    check_response,
    is_correct,
    normalise_text,
    response_text,
)

OPTIONS = ["a", "b", "c"]


def grade(question_type: str, key: dict, response: object) -> bool:
    return is_correct(question_type, key, check_response(question_type, OPTIONS, response))


def test_single_choice_is_right_only_for_the_correct_option() -> None:
    key = {"correct_options": ["b"]}
    assert [grade("single_choice", key, choice) for choice in OPTIONS] == [False, True, False]


def test_multiple_choice_is_all_or_nothing_and_ignores_order_and_repeats() -> None:
    key = {"correct_options": ["a", "c"]}
    assert grade("multiple_choice", key, ["c", "a"]) is True
    assert grade("multiple_choice", key, ["a", "c", "a"]) is True
    assert grade("multiple_choice", key, ["a"]) is False
    assert grade("multiple_choice", key, ["a", "b", "c"]) is False
    assert grade("multiple_choice", key, []) is False


@pytest.mark.parametrize(
    ("response", "expected"),
    [(3.0, True), (3.05, True), (2.95, True), (3.0500001, False), (2.9, False), (3, True)],
)
def test_numeric_uses_absolute_tolerance(response: float, expected: bool) -> None:
    assert grade("numeric", {"value": 3.0, "tolerance": 0.05}, response) is expected


def test_numeric_without_tolerance_absorbs_floating_point_noise_only() -> None:
    key = {"value": 0.3, "tolerance": 0.0}
    assert grade("numeric", key, 0.1 + 0.2) is True
    assert grade("numeric", key, 0.3001) is False


def test_short_text_matches_any_accepted_answer_after_normalising() -> None:
    key = {"accepted": ["Standard deviation", "std dev"]}
    assert grade("short_text", key, "  standard   DEVIATION ") is True
    assert grade("short_text", key, "STD DEV") is True
    assert grade("short_text", key, "ｓｔｄ ｄｅｖ") is True  # full-width letters: NFKC
    assert grade("short_text", key, "standard deviation.") is False  # punctuation counts
    assert grade("short_text", key, "variance") is False
    assert normalise_text("Straße\tX") == "strasse x"


@pytest.mark.parametrize(
    ("question_type", "response", "message"),
    [
        ("single_choice", "z", "one option id"),
        ("single_choice", ["a"], "one option id"),
        ("multiple_choice", "a", "list of option ids"),
        ("multiple_choice", ["a", "z"], "Unknown option ids ['z']"),
        ("numeric", "3", "finite number"),
        ("numeric", True, "finite number"),
        ("numeric", float("nan"), "finite number"),
        ("short_text", 5, "string"),
        ("short_text", "x" * 1001, "at most 1000"),
    ],
)
def test_responses_of_the_wrong_shape_are_refused_with_what_the_question_takes(
    question_type: str, response: object, message: str
) -> None:
    with pytest.raises(ResponseError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_response(question_type, OPTIONS, response)


def test_responses_become_xapi_response_text() -> None:
    assert response_text("multiple_choice", check_response("multiple_choice", OPTIONS, ["c", "a"])) == "a[,]c"
    assert response_text("numeric", 3) == "3.0"
    assert response_text("single_choice", "b") == "b"
