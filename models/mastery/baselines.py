"""The baselines every mastery evaluation reports next to the model: per-skill mean and PFA.

Both read the same history features as the model, so they predict each answer from earlier answers only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from models.mastery.features import HistoryFeatures


@dataclass(frozen=True)
class SkillMean:
    """Share of correct answers per skill in training; the overall share for skills it never saw."""

    rates: np.ndarray

    @classmethod
    def fit(cls, history: HistoryFeatures, n_skills: int) -> SkillMean:
        """Count correct answers per skill code (the unseen-skill code gets the overall share)."""
        answers = np.bincount(history.skill, minlength=n_skills).astype(np.float64)
        right = np.bincount(history.skill, weights=history.correct, minlength=n_skills)
        rates = np.where(answers > 0, right / np.maximum(answers, 1.0), history.correct.mean())
        return cls(rates=rates)

    def predict(self, history: HistoryFeatures) -> np.ndarray:
        """P(correct) of each answer: its skill's training share."""
        return self.rates[history.skill]


def _pfa_design(history: HistoryFeatures, n_skills: int) -> sp.csr_matrix:
    rows = np.arange(len(history.skill))
    names = list(history.names)
    successes = history.numeric[:, names.index("skill_correct")]
    failures = history.numeric[:, names.index("skill_wrong")]
    shape = (len(rows), n_skills)

    def per_skill(values: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((values, (rows, history.skill)), shape=shape)

    return sp.hstack([per_skill(np.ones(len(rows))), per_skill(successes), per_skill(failures)]).tocsr()


@dataclass(frozen=True)
class PerformanceFactors:
    """Performance factors analysis: per skill, an easiness and weights on the learner's prior successes
    and failures on that skill (``log1p`` counts, which score better than raw counts on real data)."""

    regression: LogisticRegression
    n_skills: int

    @classmethod
    def fit(cls, history: HistoryFeatures, n_skills: int) -> PerformanceFactors:
        """Logistic regression on the PFA design of the training answers."""
        regression = LogisticRegression(max_iter=1000)
        regression.fit(_pfa_design(history, n_skills), history.correct)
        return cls(regression=regression, n_skills=n_skills)

    def predict(self, history: HistoryFeatures) -> np.ndarray:
        """P(correct) of each answer from the learner's earlier answers on its skill."""
        return self.regression.predict_proba(_pfa_design(history, self.n_skills))[:, 1]


@dataclass(frozen=True)
class WindowedLogistic:
    """Best-LR with windows (Gervet et al. 2020; Schmucker et al. 2022): PFA's terms plus the learner's
    overall and per-skill counts, rates and recent-window counts from :func:`history_features`.

    Not part of the evaluation command's output; the benchmark compares it with the model.
    """

    regression: LogisticRegression
    n_skills: int

    @staticmethod
    def _design(history: HistoryFeatures, n_skills: int) -> sp.csr_matrix:
        return sp.hstack([_pfa_design(history, n_skills), sp.csr_matrix(history.numeric)]).tocsr()

    @classmethod
    def fit(cls, history: HistoryFeatures, n_skills: int) -> WindowedLogistic:
        """Logistic regression on the PFA design plus every history feature."""
        regression = LogisticRegression(max_iter=1000)
        regression.fit(cls._design(history, n_skills), history.correct)
        return cls(regression=regression, n_skills=n_skills)

    def predict(self, history: HistoryFeatures) -> np.ndarray:
        """P(correct) of each answer from the learner's earlier answers."""
        return self.regression.predict_proba(self._design(history, self.n_skills))[:, 1]
