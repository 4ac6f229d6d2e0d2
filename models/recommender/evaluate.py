"""Offline ranking metrics for the course recommender, its popularity baseline and the champion to beat.

Everything here is pure numpy/pandas so that the metrics can be unit-tested by hand and reused by
benchmarks without MLflow.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from models.recommender.features import InteractionMatrix, build_interaction_matrix
from models.recommender.model import ALSParams, CourseRecommender


def _scored_learners(held_out: Mapping[str, Collection[str]]) -> list[str]:
    # A learner with nothing held out has no defined recall (division by zero), so they are skipped.
    return [learner_id for learner_id, relevant in held_out.items() if len(relevant) > 0]


def recall_at_k(
    recommended: Mapping[str, Sequence[str]], held_out: Mapping[str, Collection[str]], k: int
) -> float:
    """Mean share of each learner's held-out courses found in their top ``k``.

    Parameters
    ----------
    recommended : mapping of learner id to course ids
        Ranked recommendations, best first, without duplicates. Missing learners count as zero hits.
    held_out : mapping of learner id to course ids
        Relevant courses per learner; learners with an empty collection are ignored.
    k : int
        Cut-off.

    Returns
    -------
    float
        Mean over learners of ``|top-k ∩ held_out| / min(k, |held_out|)``; the ``min`` keeps the best
        achievable score at 1 when a learner has more relevant courses than slots. NaN if no learner
        has a held-out course.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    learners = _scored_learners(held_out)
    if not learners:
        return math.nan
    recalls = []
    for learner_id in learners:
        relevant = set(held_out[learner_id])
        hits = len(relevant.intersection(recommended.get(learner_id, ())[:k]))
        recalls.append(hits / min(k, len(relevant)))
    return float(np.mean(recalls))


def ndcg_at_k(
    recommended: Mapping[str, Sequence[str]], held_out: Mapping[str, Collection[str]], k: int
) -> float:
    """Mean normalised discounted cumulative gain at ``k`` with binary relevance.

    Parameters
    ----------
    recommended, held_out, k
        As in :func:`recall_at_k`.

    Returns
    -------
    float
        Mean over learners of ``DCG / IDCG`` where a hit at 0-based rank ``i`` adds ``1 / log2(i + 2)``
        and IDCG places ``min(k, |held_out|)`` hits at the top. NaN if no learner has a held-out course.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    learners = _scored_learners(held_out)
    if not learners:
        return math.nan
    discounts = 1.0 / np.log2(np.arange(k) + 2.0)
    scores = []
    for learner_id in learners:
        relevant = set(held_out[learner_id])
        ranked = list(recommended.get(learner_id, ()))[:k]
        dcg = sum(discounts[rank] for rank, course_id in enumerate(ranked) if course_id in relevant)
        ideal = discounts[: min(k, len(relevant))].sum()
        scores.append(dcg / ideal)
    return float(np.mean(scores))


def popularity_ranking(train: InteractionMatrix) -> list[str]:
    """Courses ordered by how many training learners interacted with them.

    Parameters
    ----------
    train : InteractionMatrix
        Training interactions.

    Returns
    -------
    list of str
        Every course in ``train.course_ids``, most learners first; ties keep the column order so the
        baseline is deterministic.
    """
    learner_counts = train.matrix.getnnz(axis=0)
    order = np.argsort(-learner_counts, kind="stable")
    return [str(course_id) for course_id in train.course_ids[order]]


def _by_learner(rows: pd.DataFrame) -> dict[str, set[str]]:
    return rows.groupby("learner_id")["course_id"].agg(lambda ids: set(map(str, ids))).to_dict()


def score_recommender(
    model: CourseRecommender, train: pd.DataFrame, test: pd.DataFrame, *, k: int = 10
) -> dict[str, float]:
    """Recall@k and NDCG@k of one recommender on held-out courses, without a baseline.

    Parameters
    ----------
    model : CourseRecommender
        Any fitted recommender; it ranks courses for every learner of ``test``, excluding the learner's
        courses in ``train``. Courses it does not know are never recommended, so they count as misses.
    train, test : pandas.DataFrame
        Output of :func:`models.recommender.features.time_split`.
    k : int, default 10
        Cut-off for both metrics.

    Returns
    -------
    dict of str to float
        ``recall_at_{k}`` and ``ndcg_at_{k}``.
    """
    held_out, seen = _by_learner(test), _by_learner(train)
    ranked = {
        learner_id: [
            course_id
            for course_id, _ in model.recommend(learner_id, exclude=seen.get(learner_id, set()), k=k)[0]
        ]
        for learner_id in held_out
    }
    return {
        f"recall_at_{k}": recall_at_k(ranked, held_out, k),
        f"ndcg_at_{k}": ndcg_at_k(ranked, held_out, k),
    }


def evaluate_recommender(
    model: CourseRecommender, train: pd.DataFrame, test: pd.DataFrame, *, k: int = 10
) -> dict[str, float]:
    """Score a fitted recommender and the most-popular baseline on held-out courses.

    Parameters
    ----------
    model : CourseRecommender
        Model fitted on ``train`` only.
    train, test : pandas.DataFrame
        Output of :func:`models.recommender.features.time_split`.
    k : int, default 10
        Cut-off for both metrics.

    Returns
    -------
    dict of str to float
        ``recall_at_{k}``, ``ndcg_at_{k}``, ``baseline_recall_at_{k}``, ``baseline_ndcg_at_{k}`` and
        ``n_test_learners``. Both rankers exclude the learner's training courses, since recommending a
        course the learner already takes is neither useful nor a fair hit.
    """
    held_out, seen = _by_learner(test), _by_learner(train)
    popular = popularity_ranking(build_interaction_matrix(train, course_ids=model.course_ids.tolist()))
    baseline_ranked = {
        learner_id: [course_id for course_id in popular if course_id not in seen.get(learner_id, set())][:k]
        for learner_id in held_out
    }
    return {
        **score_recommender(model, train, test, k=k),
        f"baseline_recall_at_{k}": recall_at_k(baseline_ranked, held_out, k),
        f"baseline_ndcg_at_{k}": ndcg_at_k(baseline_ranked, held_out, k),
        "n_test_learners": float(len(_scored_learners(held_out))),
    }


def evaluate_champion(
    champion: CourseRecommender, params: ALSParams, train: pd.DataFrame, test: pd.DataFrame, *, k: int = 10
) -> dict[str, float]:
    """Score a recommender trained earlier (on other data) on this run's split, like the new model.

    The new model's learner factors come from ``train`` only. The champion's stored learner factors were
    fitted on its own data, which usually contains the courses ``test`` holds out (the latest course of
    a learner was already there last time), so scoring with them would reward memory. Instead every
    learner of ``train`` is solved afresh against the champion's course factors
    (:meth:`CourseRecommender.with_learners_from`), which also scores learners it never saw by their
    training courses. Courses it never saw have no factor: it cannot recommend them, as when it serves,
    so a held-out course it does not know is a miss. Its course factors may still carry a trace of the
    held-out pairs, which can only favour the champion.

    Parameters
    ----------
    champion : CourseRecommender
        The model to compare against, as registered.
    params : ALSParams
        The hyper-parameters its course factors were fitted with (regularization and alpha are used).
    train, test : pandas.DataFrame
        The same output of :func:`models.recommender.features.time_split` the new model is scored on.
    k : int, default 10
        Cut-off.

    Returns
    -------
    dict of str to float
        ``recall_at_{k}`` and ``ndcg_at_{k}``, as from :func:`score_recommender`.
    """
    scored = train[train["learner_id"].isin(test["learner_id"])]
    refolded = champion.with_learners_from(
        build_interaction_matrix(scored), regularization=params.regularization, alpha=params.alpha
    )
    return score_recommender(refolded, train, test, k=k)
