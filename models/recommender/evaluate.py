"""Offline ranking metrics for the course recommender, its popularity baseline and the champion to beat.

Everything here is pure numpy/pandas so that the metrics can be unit-tested by hand and reused by
benchmarks without MLflow.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.recommender.features import InteractionMatrix, build_interaction_matrix, time_split
from models.recommender.hybrid import SIGNALS, Catalog, HybridRanker, Weights
from models.recommender.model import DEFAULT_K, DEFAULT_PARAMS, ALSParams, CourseRecommender, fit_als


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
    champion: CourseRecommender,
    params: ALSParams | None,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    catalog: Catalog | None = None,
    k: int = 10,
) -> dict[str, float]:
    """Score a recommender trained earlier (on other data) on this run's split, blended as it serves.

    The new model's learner factors come from ``train`` only. The champion's stored learner factors were
    fitted on its own data, which usually contains the courses ``test`` holds out (the latest course of
    a learner was already there last time), so scoring with them would reward memory. Instead every
    learner of ``train`` is solved afresh against the champion's course factors
    (:meth:`CourseRecommender.with_learners_from`), which also scores learners it never saw by their
    training courses. Courses it never saw have no factor and score on content and popularity only, as
    when it serves. Its course factors may still carry a trace of the held-out pairs, which can only
    favour the champion.

    Parameters
    ----------
    champion : CourseRecommender
        The model to compare against, as registered; blended with its own weights (``blend``), or the
        default :class:`models.recommender.hybrid.Weights` for a model from before the hybrid.
    params : ALSParams or None
        The hyper-parameters its course factors were fitted with (regularization and alpha are used);
        None for a version registered outside a training run, which is then scored with its stored
        learner factors (that can only flatter it, never promote a worse model).
    train, test : pandas.DataFrame
        The same output of :func:`models.recommender.features.time_split` the new model is scored on.
    catalog : Catalog, optional
        Content of the courses; without it the content signal is zero.
    k : int, default 10
        Cut-off.

    Returns
    -------
    dict of str to float
        ``recall_at_{k}`` and ``ndcg_at_{k}``, as from :func:`score_hybrid`.
    """
    model = champion
    if params is not None:
        scored = train[train["learner_id"].isin(test["learner_id"])]
        model = champion.with_learners_from(
            build_interaction_matrix(scored), regularization=params.regularization, alpha=params.alpha
        )
    weights = Weights() if champion.blend is None else Weights.from_array(champion.blend.tolist())
    courses = sorted(set(champion.course_ids.tolist()) | set(train["course_id"].astype(str)))
    return score_hybrid(HybridRanker(model, catalog_for(catalog, courses), weights), train, test, k=k)


#: Grid of :func:`choose_weights`: the collaborative weight is on (or off, for catalogues where co-enrolment
#: says nothing), content and popularity are tried from off to strong.
WEIGHT_GRID = {
    "collaborative": (1.0, 0.0),
    "content": (0.0, 0.1, 0.25, 0.5, 1.0),
    "popularity": (0.0, 0.1, 0.25, 0.5),
}
#: Validation learners :func:`choose_weights` ranks at most (a deterministic subset by id beyond that).
MAX_VALIDATION_LEARNERS = 5_000
_BATCH = 2_000


def _histories(rows: pd.DataFrame, learner_ids: Sequence[str]) -> list[set[str]]:
    by_learner = _by_learner(rows)
    return [by_learner.get(learner_id, set()) for learner_id in learner_ids]


def choose_weights(
    ranker: HybridRanker, train: pd.DataFrame, validation: pd.DataFrame, *, k: int = 10
) -> tuple[Weights, dict[str, float]]:
    """The grid's weights with the best NDCG@k on a validation split (recall@k breaks ties, then grid order).

    NDCG first: on small catalogues most blends find every held-out course within k, and only the rank
    they give it tells them apart.

    Parameters
    ----------
    ranker : HybridRanker
        Built on a collaborative model fitted on ``train`` only.
    train, validation : pandas.DataFrame
        A :func:`models.recommender.features.time_split` of the training rows: never the test rows.
    k : int, default 10
        Cut-off.

    Returns
    -------
    weights : Weights
        The gap weight is the product's (:data:`models.recommender.hybrid.GAP_WEIGHT`): no offline split
        can measure it.
    metrics : dict of str to float
        ``validation_recall_at_{k}`` and ``validation_ndcg_at_{k}`` of the chosen weights.
    """
    held_out = {learner: courses for learner, courses in _by_learner(validation).items() if courses}
    learner_ids = sorted(held_out)[:MAX_VALIDATION_LEARNERS]
    histories = _histories(train, learner_ids)
    signals = ranker.signals(learner_ids, histories)
    # A signal that is the same for every course of every learner (content without a catalogue) ranks
    # nothing: a blend that weighs only such signals would rank in catalogue order, and win by chance.
    informative = {
        name: bool(signals.size) and bool(np.ptp(signals[:, :, index], axis=1).any())
        for index, name in enumerate(SIGNALS)
    }
    best: tuple[float, float, Weights] = (-1.0, -1.0, Weights())
    for collaborative, content, popularity in itertools.product(*WEIGHT_GRID.values()):
        weights = Weights(collaborative=collaborative, content=content, popularity=popularity)
        if not any(getattr(weights, name) > 0 for name in WEIGHT_GRID if informative[name]):
            continue
        ranked = dict(zip(learner_ids, ranker.rank_signals(signals, histories, k, weights), strict=True))
        score = (ndcg_at_k(ranked, held_out, k), recall_at_k(ranked, held_out, k))
        if not learner_ids:
            break
        if score > best[:2]:
            best = (*score, weights)
    return best[2], {f"validation_ndcg_at_{k}": best[0], f"validation_recall_at_{k}": best[1]}


def score_hybrid(
    ranker: HybridRanker, train: pd.DataFrame, test: pd.DataFrame, *, k: int = 10
) -> dict[str, float]:
    """Recall@k and NDCG@k of the blended ranking, each learner's training courses excluded.

    The gap signal is off here: goals are stored as they are now, not as they were when a learner chose a
    held-out course, so using them would let the present leak into the past.
    """
    held_out = _by_learner(test)
    learner_ids = _scored_learners(held_out)
    ranked: dict[str, Sequence[str]] = {}
    for start in range(0, len(learner_ids), _BATCH):
        batch = learner_ids[start : start + _BATCH]
        ranked |= zip(batch, ranker.top_k(batch, _histories(train, batch), k=k), strict=True)
    return {
        f"recall_at_{k}": recall_at_k(ranked, held_out, k),
        f"ndcg_at_{k}": ndcg_at_k(ranked, held_out, k),
    }


def catalog_for(catalog: Catalog | None, course_ids: Sequence[str]) -> Catalog:
    """``catalog`` restricted and ordered to ``course_ids``; courses it lacks have no content."""
    ids = list(course_ids)
    if catalog is None:
        return Catalog(
            course_ids=ids, subjects=[""] * len(ids), levels=[""] * len(ids), skills=[()] * len(ids)
        )
    row_of = {course_id: row for row, course_id in enumerate(catalog.course_ids)}
    rows = [row_of.get(course_id) for course_id in ids]
    return Catalog(
        course_ids=ids,
        subjects=["" if row is None else catalog.subjects[row] for row in rows],
        levels=["" if row is None else catalog.levels[row] for row in rows],
        skills=[() if row is None else catalog.skills[row] for row in rows],
        titles=catalog.titles,
        skill_names=catalog.skill_names,
    )


@dataclass
class HybridEvaluation:
    """The collaborative model fitted on the training rows, the weights chosen for it, and the metrics."""

    model: CourseRecommender
    weights: Weights
    metrics: dict[str, float]


def evaluate_hybrid(
    train_rows: pd.DataFrame,
    test_rows: pd.DataFrame,
    *,
    course_ids: list[str],
    catalog: Catalog | None = None,
    params: ALSParams = DEFAULT_PARAMS,
    k: int = DEFAULT_K,
) -> HybridEvaluation:
    """Fit ALS on ``train_rows``, choose the blend on a split of them, score hybrid, ALS and popularity.

    Returns metrics ``recall_at_{k}``/``ndcg_at_{k}`` (the hybrid), ``als_…`` (today's ALS alone, as
    :meth:`CourseRecommender.recommend` ranks), ``baseline_…`` (most popular), ``validation_…`` (the
    chosen weights on the validation split) and ``n_test_learners``.
    """
    courses = catalog_for(catalog, course_ids)
    model = fit_als(build_interaction_matrix(train_rows, course_ids=course_ids), params)
    als = evaluate_recommender(model, train_rows, test_rows, k=k)
    fit_rows, validation_rows = time_split(train_rows)
    if validation_rows.empty:
        weights, validation = (
            Weights(),
            {f"validation_recall_at_{k}": math.nan, f"validation_ndcg_at_{k}": math.nan},
        )
    else:
        validation_model = fit_als(build_interaction_matrix(fit_rows, course_ids=course_ids), params)
        weights, validation = choose_weights(
            HybridRanker(validation_model, courses, Weights()), fit_rows, validation_rows, k=k
        )
    hybrid = score_hybrid(HybridRanker(model, courses, weights), train_rows, test_rows, k=k)
    metrics = {
        **hybrid,
        f"als_recall_at_{k}": als[f"recall_at_{k}"],
        f"als_ndcg_at_{k}": als[f"ndcg_at_{k}"],
        f"baseline_recall_at_{k}": als[f"baseline_recall_at_{k}"],
        f"baseline_ndcg_at_{k}": als[f"baseline_ndcg_at_{k}"],
        "n_test_learners": als["n_test_learners"],
        **validation,
    }
    return HybridEvaluation(model=model, weights=weights, metrics=metrics)
