"""The ALS course recommender: its hyper-parameters, the fitted model and how it ranks courses.

Pure numpy and implicit: nothing here knows about MLflow, so evaluation, serving and benchmarks can use
the model without a tracking server.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from models.recommender.features import InteractionMatrix

DEFAULT_K = 10


@dataclass(frozen=True)
class ALSParams:
    """Hyper-parameters of implicit's alternating least squares (confidence = alpha × weight).

    The defaults were chosen by a grid (factors 4-32, regularization 0.05-10, alpha 1-20) on synthetic
    histories generated with seeds 98 and 99 only, which neither the demo (seed 7) nor the tests use: few
    factors and strong regularization, because catalogues have tens to hundreds of courses and most
    learners take a handful.
    """

    factors: int = 8
    regularization: float = 10.0
    iterations: int = 20
    alpha: float = 1.0
    random_state: int = 42


DEFAULT_PARAMS = ALSParams()


# eq=False: the generated __eq__ would compare numpy arrays element-wise and fail on truthiness.
@dataclass(eq=False)
class CourseRecommender:
    """Learner and course embeddings plus the popularity used for learners the model has not seen.

    ``blend`` holds the hybrid's signal weights chosen at training time
    (:class:`models.recommender.hybrid.Weights` as an array); ``None`` for a model trained before the
    hybrid, which serving then blends with the default weights.
    """

    learner_ids: np.ndarray
    course_ids: np.ndarray
    learner_factors: np.ndarray
    course_factors: np.ndarray
    popularity: np.ndarray
    blend: np.ndarray | None = None
    _row_of: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.learner_factors.shape[0] != len(self.learner_ids):
            raise ValueError("learner_factors must have one row per learner id")
        n_courses = len(self.course_ids)
        if self.course_factors.shape[0] != n_courses or len(self.popularity) != n_courses:
            raise ValueError("course_factors and popularity must have one row per course id")
        self._row_of = {learner_id: row for row, learner_id in enumerate(self.learner_ids.tolist())}

    def row_of(self, learner_id: str) -> int | None:
        """The learner's row of ``learner_factors``, or None for a learner the model has not seen."""
        return self._row_of.get(learner_id)

    def recommend(
        self, learner_id: str, *, exclude: Collection[str] = (), k: int = DEFAULT_K
    ) -> tuple[list[tuple[str, float]], bool]:
        """Rank courses for one learner.

        Parameters
        ----------
        learner_id : str
            Learner to recommend for.
        exclude : collection of str, optional
            Course ids never to return, typically the learner's current courses.
        k : int, default 10
            Maximum number of courses; fewer are returned when the catalogue is smaller.

        Returns
        -------
        recommendations : list of (course_id, score)
            Best first; ties keep catalogue order so that results are reproducible.
        fallback : bool
            True when the learner is unknown to the model; scores are then the share of training
            learners who took each course.
        """
        if k < 1:
            raise ValueError("k must be >= 1")
        # A bare string is a Collection[str] too; treat it as one id rather than as its characters.
        excluded = [exclude] if isinstance(exclude, str) else list(exclude)
        row = self._row_of.get(learner_id)
        if row is None:
            scores = self.popularity / max(len(self.learner_ids), 1)
        else:
            scores = self.course_factors @ self.learner_factors[row]
        candidates = np.flatnonzero(~np.isin(self.course_ids, np.asarray(excluded, dtype=str)))
        best = candidates[np.argsort(-scores[candidates], kind="stable")][:k]
        return [(str(self.course_ids[i]), float(scores[i])) for i in best], row is None

    def with_learners_from(
        self, interactions: InteractionMatrix, *, regularization: float, alpha: float
    ) -> CourseRecommender:
        """The same course factors, with one learner per row of ``interactions`` solved from that row.

        This is the ALS least-squares step for learners with the course factors held fixed
        (``(YᵀCY + λI) x = YᵀCp`` with ``C = alpha × weight`` on the learner's courses), solved exactly.
        It lets a model trained earlier be scored on a new split without using learner factors that may
        have been fitted on the very courses the split holds out.

        Parameters
        ----------
        interactions : InteractionMatrix
            Learners' histories; courses this model does not know carry no factor and are ignored.
        regularization, alpha : float
            The values the course factors were fitted with.

        Returns
        -------
        CourseRecommender
            Knows exactly the learners of ``interactions``; courses and popularity are this model's.
        """
        column_of = {course_id: column for column, course_id in enumerate(self.course_ids.tolist())}
        columns = np.array([column_of.get(course_id, -1) for course_id in interactions.course_ids.tolist()])
        factors = self.course_factors.astype(np.float64)
        n_factors = factors.shape[1]
        base = factors.T @ factors + regularization * np.eye(n_factors)
        matrix = interactions.matrix.tocsr()
        learner_factors = np.zeros((matrix.shape[0], n_factors), dtype=self.course_factors.dtype)
        for row in range(matrix.shape[0]):
            entries = slice(matrix.indptr[row], matrix.indptr[row + 1])
            own = columns[matrix.indices[entries]]
            known = own >= 0
            taken = factors[own[known]]
            confidence = alpha * matrix.data[entries][known].astype(np.float64)
            lhs = base + taken.T @ ((confidence - 1.0)[:, None] * taken)
            learner_factors[row] = np.linalg.solve(lhs, taken.T @ confidence)
        return CourseRecommender(
            learner_ids=interactions.learner_ids.astype(str),
            course_ids=self.course_ids,
            learner_factors=learner_factors,
            course_factors=self.course_factors,
            popularity=self.popularity,
            blend=self.blend,
        )

    def save(self, path: Path) -> None:
        """Write the model to one ``.npz`` file at exactly ``path`` (no pickled objects)."""
        arrays = {
            "learner_ids": self.learner_ids.astype(str),
            "course_ids": self.course_ids.astype(str),
            "learner_factors": self.learner_factors,
            "course_factors": self.course_factors,
            "popularity": self.popularity,
        }
        if self.blend is not None:
            arrays["blend"] = self.blend
        with Path(path).open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> CourseRecommender:
        """Read a model written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as arrays:
            return cls(
                learner_ids=arrays["learner_ids"],
                course_ids=arrays["course_ids"],
                learner_factors=arrays["learner_factors"],
                course_factors=arrays["course_factors"],
                popularity=arrays["popularity"],
                blend=arrays["blend"] if "blend" in arrays.files else None,
            )


def fit_als(train: InteractionMatrix, params: ALSParams) -> CourseRecommender:
    """Factorise the learner × course confidence matrix with implicit's CPU ALS.

    Parameters
    ----------
    train : InteractionMatrix
        Weights from :func:`build_interaction_matrix`; implicit multiplies them by ``params.alpha``.
    params : ALSParams
        Hyper-parameters; a fixed ``random_state`` makes the factors reproducible.

    Returns
    -------
    CourseRecommender
        Factors plus per-course learner counts for the cold-start fallback.
    """
    # One solver thread and one BLAS thread: multi-threaded reductions change the float summation
    # order between runs, and OpenBLAS threading only slows ALS down (implicit warns about it).
    with threadpool_limits(limits=1, user_api="blas"):
        als = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=1,
            dtype=np.float32,
        )
        als.fit(train.matrix, show_progress=False)
    return CourseRecommender(
        learner_ids=train.learner_ids.astype(str),
        course_ids=train.course_ids.astype(str),
        learner_factors=np.asarray(als.user_factors),
        course_factors=np.asarray(als.item_factors),
        popularity=train.matrix.getnnz(axis=0).astype(np.float64),
    )
