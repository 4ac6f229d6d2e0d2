"""The search protocol's pure parts: which queries a catalogue yields, what is hidden, and the metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.search.evaluate import (
    CatalogCourse,
    SearchQuery,
    build_protocol,
    dev_queries,
    evaluate_rankers,
    evaluate_split,
    ndcg_at_k,
    precision_at_k,
)
from models.search.fusion import nearest, reciprocal_rank_fusion, rocchio


def course(external_id: str, subject: str, skills: dict[str, str] | None = None) -> CatalogCourse:
    return CatalogCourse(
        external_id, f"Course {external_id}", "About it.", subject, "Introductory", skills or {}
    )


def test_skills_named_by_three_courses_become_queries_and_the_index_never_sees_skills() -> None:
    ml = {"machine-learning": "Machine Learning"}
    courses = [course("a", "CS", ml), course("b", "CS", ml), course("c", "Data", ml | {"sql": "SQL"}),
               course("d", "Data", {"sql": "SQL"}), course("e", "Art")]  # fmt: skip
    protocol = build_protocol(courses)
    assert [(query.text, sorted(query.relevant)) for query in protocol.queries] == [
        ("Machine Learning", ["a", "b", "c"])
    ]
    assert protocol.hidden == ("skills",)
    assert protocol.documents["c"].subject == "Data"  # subjects stay visible when skills are the queries


def test_without_skills_subjects_are_the_queries_and_are_hidden_too() -> None:
    courses = [course(name, "History") for name in "abc"] + [course("d", "Art"), course("e", "Art")]
    protocol = build_protocol(courses)
    assert [(query.text, sorted(query.relevant)) for query in protocol.queries] == [
        ("History", ["a", "b", "c"])
    ]
    assert protocol.hidden == ("skills", "subject")
    assert {document.subject for document in protocol.documents.values()} == {None}


def test_precision_and_ndcg_at_10() -> None:
    relevant = frozenset({"a", "b", "c"})
    assert precision_at_k(["a", "x", "b"], relevant) == pytest.approx(0.2)  # empty places are misses
    assert ndcg_at_k(["a", "b", "c"], relevant) == pytest.approx(1.0)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(["x", "a"], relevant) == pytest.approx((1 / math.log2(3)) / ideal)
    assert ndcg_at_k([], relevant) == 0.0


def test_rankers_are_averaged_over_the_same_queries() -> None:
    protocol = build_protocol([course(name, "History") for name in "abc"] + [course("z", "Art")])
    metrics = evaluate_rankers(
        protocol.queries, {"perfect": lambda _: ["a", "b", "c"], "wrong": lambda _: ["z"]}
    )
    assert metrics == {
        "perfect": {"p_at_10": 0.3, "ndcg_at_10": 1.0},
        "wrong": {"p_at_10": 0.0, "ndcg_at_10": 0.0},
    }
    with pytest.raises(ValueError, match="no query"):
        evaluate_rankers([], {"perfect": lambda _: []})


def test_fusion_puts_what_both_lists_rank_well_first_and_nearest_is_exact() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]])
    assert [key for key, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    matrix = [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]]
    order, similarities = nearest(
        np.array(matrix, dtype=np.float32), np.array([0.8, 0.6], dtype=np.float32), k=2
    )
    assert order.tolist() == [1, 0] and similarities.tolist() == pytest.approx([0.96, 0.8])


def test_weighted_fusion_lets_the_heavier_list_break_what_equal_weights_would_tie() -> None:
    assert reciprocal_rank_fusion([["a", "b"], ["b", "a"]])[0][1] == pytest.approx(
        reciprocal_rank_fusion([["a", "b"], ["b", "a"]])[1][1]
    )
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "a"]], weights=[0.8, 0.2])
    assert [key for key, _ in fused] == ["a", "b"]
    assert fused[0][1] == pytest.approx(0.8 / 61 + 0.2 / 62)
    with pytest.raises(ValueError, match="1 weights for 2 rankings"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])


def test_feedback_moves_the_query_toward_the_mean_of_what_it_found() -> None:
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    found = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    moved = rocchio(query, found, beta=0.5)
    assert moved.dtype == np.float32 and np.linalg.norm(moved) == pytest.approx(1.0)
    assert moved.tolist() == pytest.approx((np.array([1.0, 0.25, 0.25]) / math.sqrt(1.125)).tolist())
    assert rocchio(query, np.zeros((0, 3), dtype=np.float32), beta=0.5) is query


def test_the_dev_and_held_out_halves_are_fixed_disjoint_and_cover_every_query() -> None:
    dev = dev_queries(29)
    assert len(dev) == 14 and dev == dev_queries(29) and dev <= set(range(29))
    assert dev != dev_queries(29, seed=1)
    queries = [SearchQuery(f"q{n:02d}", frozenset({f"q{n:02d}"})) for n in range(6)]
    split = evaluate_split(queries, {"own": lambda text: [text]})
    halves = dev_queries(6)
    assert split["all"]["own"] == {"p_at_10": 0.1, "ndcg_at_10": 1.0}
    assert split["dev"]["own"] == split["held_out"]["own"] == split["all"]["own"]
    only_dev = evaluate_split(queries, {"dev": lambda text: [text] if int(text[1:]) in halves else []})
    assert only_dev["dev"]["dev"]["ndcg_at_10"] == 1.0 and only_dev["held_out"]["dev"]["ndcg_at_10"] == 0.0
