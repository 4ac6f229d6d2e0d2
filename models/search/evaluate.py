"""The search evaluation protocol: held-out skill (or subject) queries, precision and NDCG at 10.

A catalogue row lists the skills a course teaches. Each skill named by at least ``min_courses`` courses
becomes a query (the skill's name) whose relevant set is the courses listing it; the index never sees
the skills, so a ranker must find the courses from their titles and descriptions alone. A catalogue
without skills falls back to subjects: each subject is a query and the subject is hidden from the index
too. Rankers are compared on the same queries in the same run.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from models.search.documents import CourseText

K = 10
MIN_COURSES = 3
SPLIT_SEED = 20261206  # the date the split was drawn; fixed before any choice was made on it


@dataclass(frozen=True)
class CatalogCourse:
    """One course of a catalogue file, skills included (the protocol decides what the index sees)."""

    external_id: str
    title: str
    description: str | None
    subject: str
    level: str
    skills: Mapping[str, str]  # slug -> name as written


@dataclass(frozen=True)
class SearchQuery:
    text: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Protocol:
    """The queries, and the text each course shows the index (``hidden`` names what was taken out)."""

    queries: list[SearchQuery]
    documents: dict[str, CourseText]
    hidden: tuple[str, ...]


def build_protocol(courses: Sequence[CatalogCourse], *, min_courses: int = MIN_COURSES) -> Protocol:
    """Skill queries when any course lists skills, else subject queries with the subject hidden.

    Queries are sorted by text, so a run is deterministic whatever the file's order.
    """
    by_key: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    use_skills = any(course.skills for course in courses)
    for course in courses:
        labels = course.skills.items() if use_skills else [(course.subject.lower(), course.subject)]
        for key, name in labels:
            by_key[key].add(course.external_id)
            names.setdefault(key, name)
    queries = sorted(
        (SearchQuery(names[key], frozenset(ids)) for key, ids in by_key.items() if len(ids) >= min_courses),
        key=lambda query: query.text,
    )
    documents = {
        course.external_id: CourseText(
            title=course.title,
            subject=course.subject if use_skills else None,
            level=course.level,
            description=course.description,
        )
        for course in courses
    }
    return Protocol(queries, documents, ("skills",) if use_skills else ("skills", "subject"))


def precision_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int = K) -> float:
    """Share of the first ``k`` places holding a relevant course (an empty place counts as a miss)."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def ndcg_at_k(ranked: Sequence[str], relevant: frozenset[str], k: int = K) -> float:
    """Binary-gain NDCG: DCG of ``ranked[:k]`` over the DCG of ``min(k, |relevant|)`` hits in a row."""
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def dev_queries(count: int, *, seed: int = SPLIT_SEED) -> frozenset[int]:
    """The fixed dev half of ``count`` queries (positions in text order): a seeded shuffle's first half.

    The search's constants were chosen on the dev half of the edX catalogue's queries; the other half is
    held out, so a figure on it was not tuned for.
    """
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return frozenset(order[: count // 2])


def evaluate_rankers(
    queries: Sequence[SearchQuery],
    rankers: Mapping[str, Callable[[str], Sequence[str]]],
    *,
    k: int = K,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Mean P@k and NDCG@k of each ranker (query text -> external ids, best first) over ``queries``."""
    return evaluate_split(queries, rankers, k=k, progress=progress)["all"]


def evaluate_split(
    queries: Sequence[SearchQuery],
    rankers: Mapping[str, Callable[[str], Sequence[str]]],
    *,
    k: int = K,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """:func:`evaluate_rankers` over all queries, the dev half and the held-out half (``dev_queries``).

    Returns ``{"all" | "dev" | "held_out": {ranker: {"p_at_10", "ndcg_at_10"}}}``, each ranker run once per
    query.
    """
    if not queries:
        raise ValueError(f"no query: no skill or subject is named by at least {MIN_COURSES} courses")
    scores: dict[str, list[tuple[float, float]]] = {name: [] for name in rankers}
    for number, query in enumerate(queries, start=1):
        for name, ranker in rankers.items():
            ranked = ranker(query.text)
            scores[name].append(
                (precision_at_k(ranked, query.relevant, k), ndcg_at_k(ranked, query.relevant, k))
            )
        if progress is not None and (number % 25 == 0 or number == len(queries)):
            progress(f"{number}/{len(queries)} queries")
    dev = dev_queries(len(queries))
    parts = {
        "all": range(len(queries)),
        "dev": sorted(dev),
        "held_out": [position for position in range(len(queries)) if position not in dev],
    }
    return {
        part: {name: _means([scores[name][position] for position in positions]) for name in rankers}
        for part, positions in parts.items()
    }


def _means(scores: Sequence[tuple[float, float]]) -> dict[str, float]:
    if not scores:
        return {"p_at_10": 0.0, "ndcg_at_10": 0.0}
    return {
        "p_at_10": round(sum(p for p, _ in scores) / len(scores), 4),
        "ndcg_at_10": round(sum(n for _, n in scores) / len(scores), 4),
    }
