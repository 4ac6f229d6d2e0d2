"""What the demo catalogue holds: skills, courses with modules and lessons, and question banks.

Plain data, kept apart from ``app_api.demo`` (which writes it through the domain services) so that the
content can be read and extended without reading the code that loads it. Question difficulties spread
over the IRT scale (-2..2) so that the adaptive diagnostic has something to choose between.
"""

from __future__ import annotations

from typing import Any

# slug -> (name, parent slug)
SKILLS: dict[str, tuple[str, str | None]] = {
    "data-analysis": ("Data analysis", None),
    "sql": ("SQL", "data-analysis"),
    "statistics": ("Statistics", "data-analysis"),
}

SQL_COURSE = "SQL Foundations"
STATS_COURSE = "Statistics for Analysts"
CAPSTONE_COURSE = "Analytics with SQL and Statistics"

# title -> course fields, modules (title -> lessons (title, minutes)), prerequisite titles
COURSES: dict[str, dict[str, Any]] = {
    SQL_COURSE: {
        "subject": "Data Science",
        "level": "beginner",
        "skills": ["sql"],
        "description": "Query relational data: filter, sort, aggregate and join tables.",
        "modules": {
            "Querying tables": [("SELECT and WHERE", 15), ("Sorting and limiting", 10)],
            "Aggregating and joining": [("GROUP BY and HAVING", 20), ("Joins", 25)],
        },
        "prerequisites": [],
    },
    STATS_COURSE: {
        "subject": "Data Science",
        "level": "intermediate",
        "skills": ["statistics"],
        "description": "Describe data and reason about uncertainty: spread, sampling, tests.",
        "modules": {
            "Describing data": [("Centre and spread", 20), ("Distributions", 20)],
            "Inference": [("Sampling and confidence", 25)],
        },
        "prerequisites": [],
    },
    CAPSTONE_COURSE: {
        "subject": "Data Science",
        "level": "advanced",
        "skills": ["sql", "statistics"],
        "description": "Answer business questions end to end: query, summarise, test, report.",
        "modules": {"A/B test from raw events": [("Extracting the cohorts", 30), ("Testing the lift", 30)]},
        "prerequisites": [SQL_COURSE, STATS_COURSE],
    },
}


def _single(skill: str, prompt: str, options: list[str], correct: int, difficulty: float) -> dict[str, Any]:
    return {
        "skill": skill,
        "question_type": "single_choice",
        "prompt": prompt,
        "options": [
            {"id": chr(ord("a") + index), "text": text, "correct": index == correct}
            for index, text in enumerate(options)
        ],
        "difficulty": difficulty,
    }


# The first four questions of each bank form its quiz, one of every question type.
SQL_QUESTIONS: list[dict[str, Any]] = [
    _single(
        "sql", "Which clause filters groups after aggregation?", ["WHERE", "HAVING", "ORDER BY"], 1, -0.5
    ),
    {
        "skill": "sql",
        "question_type": "multiple_choice",
        "prompt": "Which of these are aggregate functions?",
        "options": [
            {"id": "sum", "text": "SUM", "correct": True},
            {"id": "avg", "text": "AVG", "correct": True},
            {"id": "upper", "text": "UPPER", "correct": False},
        ],
        "difficulty": 0.0,
    },
    {
        "skill": "sql",
        "question_type": "numeric",
        "prompt": "A table has 3 rows and another has 4. How many rows does their CROSS JOIN return?",
        "numeric_answer": 12,
        "tolerance": 0,
        "difficulty": 0.5,
    },
    {
        "skill": "sql",
        "question_type": "short_text",
        "prompt": "Which keyword removes duplicate rows from a result?",
        "accepted_answers": ["DISTINCT", "SELECT DISTINCT"],
        "difficulty": -1.0,
    },
    _single("sql", "Which join keeps every row of the left table?", ["INNER", "LEFT", "CROSS"], 1, 1.0),
    _single("sql", "What does COUNT(column) skip?", ["Zeros", "NULLs", "Duplicates"], 1, 2.0),
]

STATS_QUESTIONS: list[dict[str, Any]] = [
    _single("statistics", "Which measure is robust to outliers?", ["Mean", "Median", "Range"], 1, -1.0),
    {
        "skill": "statistics",
        "question_type": "multiple_choice",
        "prompt": "Which of these describe spread?",
        "options": [
            {"id": "sd", "text": "Standard deviation", "correct": True},
            {"id": "iqr", "text": "Interquartile range", "correct": True},
            {"id": "mode", "text": "Mode", "correct": False},
        ],
        "difficulty": 0.0,
    },
    {
        "skill": "statistics",
        "question_type": "numeric",
        "prompt": "What is the mean of 2, 4 and 9?",
        "numeric_answer": 5,
        "tolerance": 0.01,
        "difficulty": -1.5,
    },
    {
        "skill": "statistics",
        "question_type": "short_text",
        "prompt": "Name the square root of the variance.",
        "accepted_answers": ["standard deviation", "std dev", "sd"],
        "difficulty": 0.5,
    },
    _single(
        "statistics",
        "Quadrupling a sample's size divides the standard error by...",
        ["2", "4", "16"],
        0,
        1.5,
    ),
    _single(
        "statistics",
        "A p-value is the probability of...",
        ["H0 being true", "Data this extreme under H0"],
        1,
        2.0,
    ),
]
