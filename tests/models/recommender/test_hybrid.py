"""The hybrid recommender: content vectors, the chosen blend against ALS alone, cold starts, reasons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.recommender.evaluate import evaluate_hybrid
from models.recommender.features import build_interaction_matrix, time_split
from models.recommender.hybrid import Catalog, Gap, HybridRanker, Weights, content_vectors
from models.recommender.model import CourseRecommender, fit_als
from tests.models.recommender.helpers import COLUMNS, START, TWO_TASTES

SUBJECTS, PER_SUBJECT = 10, 5


def subject_world(n_learners: int = 200, seed: int = 0) -> tuple[pd.DataFrame, Catalog]:
    """Each learner takes 2-3 courses of one subject in random order: the subject is the whole taste, and
    with five courses per subject and few learners each, co-enrolment alone sees it only partly."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_learners):
        subject = int(rng.integers(SUBJECTS))
        for day, course in enumerate(rng.choice(PER_SUBJECT, int(rng.integers(2, 4)), replace=False)):
            rows.append(
                (f"l{i:03d}", f"s{subject}c{course}", int(rng.integers(20)), START + pd.Timedelta(days=day))
            )
    courses = [f"s{s}c{c}" for s in range(SUBJECTS) for c in range(PER_SUBJECT)]
    catalog = Catalog(
        course_ids=courses,
        subjects=[f"subject {c[1:].split('c')[0]}" for c in courses],
        levels=["beginner" if c.endswith(("0", "1")) else "advanced" for c in courses],
        skills=[[f"skill-{c.split('c')[0]}"] for c in courses],
        titles={c: f"Course {c}" for c in courses},
        skill_names={f"skill-s{s}": f"Skill {s}" for s in range(SUBJECTS)},
    )
    return pd.DataFrame(rows, columns=COLUMNS), catalog


def test_content_vectors_are_unit_length_and_closest_within_a_skill() -> None:
    catalog = Catalog(
        course_ids=["sql-1", "sql-2", "py-1", "empty"],
        subjects=["Data", "Data", "Programming", ""],
        levels=["beginner", "advanced", "beginner", ""],
        skills=[["sql"], ["sql", "joins"], ["python"], []],
    )
    vectors = content_vectors(catalog)
    similarity = (vectors @ vectors.T).toarray()

    np.testing.assert_allclose(np.diag(similarity), [1.0, 1.0, 1.0, 0.0])
    assert similarity[0, 1] > similarity[0, 2] > 0  # shared skill and subject beat a shared level alone
    assert similarity[0, 3] == 0.0


def test_the_chosen_blend_beats_als_alone_where_content_carries_the_taste() -> None:
    interactions, catalog = subject_world()
    train, test = time_split(interactions)
    courses = sorted(interactions["course_id"].unique())
    result = evaluate_hybrid(train, test, course_ids=courses, catalog=catalog, k=10)
    metrics = result.metrics

    assert result.weights.content > 0
    assert metrics["recall_at_10"] > metrics["als_recall_at_10"] + 0.05
    assert metrics["recall_at_10"] > metrics["baseline_recall_at_10"] + 0.3
    assert metrics["ndcg_at_10"] > metrics["als_ndcg_at_10"]
    # Without a catalogue the content signal is zero everywhere: the grid keeps its weight off, and the
    # blend of what is left does no better than with the catalogue.
    plain = evaluate_hybrid(train, test, course_ids=courses, catalog=None, k=10)
    assert plain.weights.content == 0
    assert plain.metrics["recall_at_10"] < metrics["recall_at_10"]


def test_a_course_published_after_training_is_recommended_by_its_content_with_a_reason() -> None:
    interactions, catalog = subject_world()
    model = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    new_course = "s3c-new"
    with_new = Catalog(
        course_ids=[*catalog.course_ids, new_course],
        subjects=[*catalog.subjects, "subject 3"],
        levels=[*catalog.levels, "advanced"],
        skills=[*catalog.skills, ["skill-s3"]],
        titles={**(catalog.titles or {}), new_course: "Subject 3, the new one"},
        skill_names=catalog.skill_names,
    )
    ranker = HybridRanker(model, with_new, Weights(collaborative=0.0, content=1.0, gap=0.0, popularity=0.0))
    # A learner the model never saw, with one finished subject-3 course.
    explained = ranker.explain("newcomer", ["s3c0"], completed=["s3c0"], k=5)

    assert new_course in [item.course_id for item in explained]
    assert all(item.course_id.startswith("s3") for item in explained[:4])
    first = explained[0]
    assert first.reasons[0] == ("content", "because you finished Course s3c0")


def test_the_goal_gap_ranks_first_the_course_that_closes_it_and_says_so() -> None:
    interactions, catalog = subject_world()
    model = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    learner = str(interactions["learner_id"].iloc[0])
    history = interactions.loc[interactions["learner_id"] == learner, "course_id"].tolist()
    ranker = HybridRanker(model, catalog, Weights())
    gaps = {"skill-s7": Gap(current=3, target=6), "skill-s8": Gap(current=5, target=5)}

    explained = ranker.explain(learner, history, gaps=gaps, k=3)

    assert explained[0].course_id.startswith("s7")
    assert ("gap", "closes your gap in Skill 7: level 3 → 6") in explained[0].reasons
    assert explained[0].signals["gap"] == pytest.approx(1.0)  # skill-s8 has no gap left
    assert not any(item.course_id in history for item in explained)


def test_a_learner_nobody_knows_gets_popular_courses_said_to_be_popular() -> None:
    interactions, catalog = subject_world()
    model = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    explained = HybridRanker(model, catalog, Weights()).explain("stranger", [], k=3)

    counts = interactions.groupby("course_id")["learner_id"].nunique()
    assert explained[0].course_id == counts.sort_values(ascending=False, kind="stable").index[0]
    assert all(item.reasons == [("popularity", "popular on SkillStudio")] for item in explained)


def test_the_blend_travels_with_the_saved_model(tmp_path: Path) -> None:
    interactions, _ = subject_world(n_learners=30)
    model = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    blended = CourseRecommender(
        learner_ids=model.learner_ids,
        course_ids=model.course_ids,
        learner_factors=model.learner_factors,
        course_factors=model.course_factors,
        popularity=model.popularity,
        blend=Weights(collaborative=1.0, content=0.5, gap=1.0, popularity=0.1).as_array(),
    )
    blended.save(tmp_path / "with.npz")
    model.save(tmp_path / "without.npz")

    assert Weights.from_array(CourseRecommender.load(tmp_path / "with.npz").blend.tolist()).content == 0.5
    assert CourseRecommender.load(tmp_path / "without.npz").blend is None
    with pytest.raises(ValueError, match=">= 0"):
        Weights.from_array([1.0, -0.1, 1.0, 0.0])


def test_an_empty_catalogue_recommends_nothing_rather_than_failing() -> None:
    interactions, _ = subject_world()
    model = fit_als(build_interaction_matrix(interactions), TWO_TASTES)
    empty = Catalog(course_ids=[], subjects=[], levels=[], skills=[])
    ranker = HybridRanker(model, empty, Weights())

    assert ranker.top_k(["learner-0", "stranger"], [[], []], k=5) == [[], []]
    assert ranker.explain("stranger", [], k=5) == []
