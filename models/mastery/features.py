"""Responses in the long format and the history features every mastery model reads from them.

A response is one answer: ``learner_id, seq, skill_id, correct`` and optionally ``item_id``. Every
feature of answer ``t`` is computed from the same learner's answers before ``t`` only (shifted cumulative
sums), so a model that reads these features cannot look ahead, whether it is fitted or evaluated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

RESPONSE_COLUMNS = ("learner_id", "seq", "skill_id", "correct")
OPTIONAL_COLUMNS = ("item_id",)
# Windows of recent answers (Best-LR+ / DAS3H style): the last few answers weigh differently from a
# long history. Counted in answers, not time, because the long format need not carry timestamps.
WINDOWS = (3, 10, 30)
UNKNOWN = -1


@dataclass(frozen=True)
class Vocabulary:
    """Codes for skills and items: code ``i`` is ``ids[i]``; ids never seen map to the last code."""

    skill_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def n_skills(self) -> int:
        """Skills seen in training plus one code for unseen skills."""
        return len(self.skill_ids) + 1

    @property
    def n_items(self) -> int:
        """Items seen in training plus one code for unseen items (or for data without items)."""
        return len(self.item_ids) + 1

    @cached_property
    def _skill_code_of(self) -> dict[str, int]:
        return {skill_id: code for code, skill_id in enumerate(self.skill_ids.tolist())}

    @cached_property
    def _item_code_of(self) -> dict[str, int]:
        return {item_id: code for code, item_id in enumerate(self.item_ids.tolist())}

    def skill_code(self, skill_id: str) -> int:
        """Code of one skill id (a dict lookup, for the online path)."""
        return self._skill_code_of.get(str(skill_id), self.n_skills - 1)

    def item_code(self, item_id: str | None) -> int:
        """Code of one item id; ``None`` and unseen ids get ``n_items - 1``."""
        return self.n_items - 1 if item_id is None else self._item_code_of.get(str(item_id), self.n_items - 1)

    def skill_codes(self, skill_ids: pd.Series) -> np.ndarray:
        """Code of each skill id; unseen ids get ``n_skills - 1``."""
        return _codes(self.skill_ids, skill_ids)

    def item_codes(self, item_ids: pd.Series | None) -> np.ndarray | None:
        """Code of each item id; unseen ids get ``n_items - 1``; ``None`` when there are no items."""
        return None if item_ids is None else _codes(self.item_ids, item_ids)


def _codes(known: np.ndarray, ids: pd.Series) -> np.ndarray:
    codes = pd.Index(known).get_indexer(ids.astype(str).to_numpy())
    return np.where(codes < 0, len(known), codes).astype(np.int64)


def read_responses(path: Path) -> pd.DataFrame:
    """Read a long-format CSV of responses and check it (see :func:`prepare_responses`)."""
    return prepare_responses(pd.read_csv(path, dtype={"learner_id": str, "skill_id": str, "item_id": str}))


def prepare_responses(responses: pd.DataFrame) -> pd.DataFrame:
    """Check the columns and values, and order the rows by learner then ``seq``.

    Parameters
    ----------
    responses : pandas.DataFrame
        Columns ``learner_id``, ``seq``, ``skill_id``, ``correct`` (0/1) and optionally ``item_id``.

    Returns
    -------
    pandas.DataFrame
        The same rows with ids as strings, ``correct`` as int8, sorted stably by ``learner_id, seq``,
        with a fresh RangeIndex.
    """
    missing = [column for column in RESPONSE_COLUMNS if column not in responses.columns]
    if missing:
        raise ValueError(f"responses lack required columns: {missing}")
    columns = [c for c in (*RESPONSE_COLUMNS, *OPTIONAL_COLUMNS) if c in responses.columns]
    frame = responses[columns].copy()
    if frame[list(columns)].isna().any().any():
        raise ValueError("responses have empty values")
    if not frame["correct"].isin([0, 1]).all():
        raise ValueError("correct must be 0 or 1")
    for column in ("learner_id", "skill_id", *(["item_id"] if "item_id" in frame.columns else [])):
        frame[column] = frame[column].astype(str)
    frame["correct"] = frame["correct"].astype(np.int8)
    frame = frame.sort_values(["learner_id", "seq"], kind="stable").reset_index(drop=True)
    return frame


def build_vocabulary(responses: pd.DataFrame) -> Vocabulary:
    """Skills and items of the training responses, sorted so the codes do not depend on row order."""
    items = np.sort(responses["item_id"].unique()) if "item_id" in responses.columns else np.array([], str)
    return Vocabulary(
        skill_ids=np.sort(responses["skill_id"].unique()).astype(str), item_ids=items.astype(str)
    )


def _group_starts(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable order by group, and for each sorted row the position of its group's first row."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    return order, starts, first


def _window_counts(groups: np.ndarray, values: np.ndarray, window: int | None) -> np.ndarray:
    """For each row, the sum of ``values`` over the previous ``window`` rows of its group (all if None).

    Rows of a group must be in time order; groups may interleave.
    """
    order, _, first = _group_starts(groups)
    sorted_values = values[order].astype(np.float64)
    before = np.cumsum(sorted_values) - sorted_values  # sum over every earlier sorted row
    position = np.arange(len(order))
    lower = first if window is None else np.maximum(position - window, first)
    result = np.empty(len(order))
    result[order] = before - before[lower]
    return result


def _steps_since(groups: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Answers of the learner since the previous row of the same group; 0 when there is none."""
    order, starts, _ = _group_starts(groups)
    sorted_positions = positions[order]
    gaps = np.where(starts, 0, sorted_positions - np.r_[0, sorted_positions[:-1]])
    result = np.empty(len(order), dtype=np.float64)
    result[order] = gaps
    return result


@dataclass(frozen=True)
class HistoryFeatures:
    """Per-answer counts of the learner's earlier answers, overall and on the answer's skill.

    Every array has one entry per response row, in the row order of the prepared responses.
    """

    skill: np.ndarray
    item: np.ndarray | None
    correct: np.ndarray
    numeric: np.ndarray
    names: tuple[str, ...]


def history_features(responses: pd.DataFrame, vocabulary: Vocabulary) -> HistoryFeatures:
    """Count each learner's earlier answers: all, correct and in recent windows, overall and per skill.

    Parameters
    ----------
    responses : pandas.DataFrame
        Output of :func:`prepare_responses` (rows in learner, ``seq`` order).
    vocabulary : Vocabulary
        Codes fitted on the training responses.

    Returns
    -------
    HistoryFeatures
        ``numeric`` holds ``log1p`` of the counts (attempts, correct and wrong, lifetime and over the
        last :data:`WINDOWS` answers, for the learner and for the learner on this skill), whether the
        learner's previous answer and previous answer on this skill were correct, and ``log1p`` of the
        answers since the skill was last practised.
    """
    learner = pd.factorize(responses["learner_id"])[0].astype(np.int64)
    skill = vocabulary.skill_codes(responses["skill_id"])
    item = vocabulary.item_codes(responses["item_id"]) if "item_id" in responses.columns else None
    correct = responses["correct"].to_numpy().astype(np.float64)
    wrong = 1.0 - correct
    ones = np.ones_like(correct)
    pair = learner * vocabulary.n_skills + skill
    position = responses.groupby(learner, sort=False).cumcount().to_numpy().astype(np.int64)
    columns: dict[str, np.ndarray] = {}
    for scope, groups in (("all", learner), ("skill", pair)):
        attempts = _window_counts(groups, ones, None)
        right = _window_counts(groups, correct, None)
        columns[f"{scope}_attempts"] = np.log1p(attempts)
        columns[f"{scope}_correct"] = np.log1p(right)
        columns[f"{scope}_wrong"] = np.log1p(attempts - right)
        columns[f"{scope}_rate"] = (right + 1.0) / (attempts + 2.0)
        for window in WINDOWS:
            columns[f"{scope}_correct_last{window}"] = np.log1p(_window_counts(groups, correct, window))
            columns[f"{scope}_wrong_last{window}"] = np.log1p(_window_counts(groups, wrong, window))
        columns[f"{scope}_previous_correct"] = _window_counts(groups, correct, 1)
        columns[f"{scope}_previous_wrong"] = _window_counts(groups, wrong, 1)
    columns["skill_steps_since"] = np.log1p(_steps_since(pair, position))
    names = tuple(columns)
    return HistoryFeatures(
        skill=skill,
        item=item,
        correct=correct,
        numeric=np.column_stack([columns[n] for n in names]),
        names=names,
    )


def data_fingerprint(responses: pd.DataFrame) -> str:
    """A short hash of the responses, logged with each run so its training data can be recognised."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(responses, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def learner_split(
    responses: pd.DataFrame, *, validation_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split prepared responses into two sets of whole learners (a validation split of training learners).

    Parameters
    ----------
    responses : pandas.DataFrame
        Output of :func:`prepare_responses`.
    validation_share : float
        Share of learners, between 0 and 1, that go to the second frame.
    seed : int
        Seed of the shuffle of learner ids; the same seed gives the same split.
    """
    learners = np.sort(responses["learner_id"].unique())
    chosen = np.random.default_rng(seed).permutation(len(learners))[
        : int(round(validation_share * len(learners)))
    ]
    held_out = responses["learner_id"].isin(learners[chosen]).to_numpy()
    return (
        responses[~held_out].reset_index(drop=True),
        responses[held_out].reset_index(drop=True),
    )


def _window_features(attempts: float, right: float, recent: tuple[int, ...]) -> list[float]:
    values = [
        np.log1p(attempts),
        np.log1p(right),
        np.log1p(attempts - right),
        (right + 1.0) / (attempts + 2.0),
    ]
    for window in WINDOWS:
        last = recent[-window:]
        values += [np.log1p(sum(last)), np.log1p(len(last) - sum(last))]
    previous = recent[-1:]
    return values + [float(sum(previous)), float(len(previous) - sum(previous))]


class LearnerHistory:
    """One learner's running counts, advanced one answer at a time: the online twin of
    :func:`history_features`, which a test holds to the same numbers.

    Parameters
    ----------
    n_skills : int
        Size of the skill vocabulary (codes ``0 .. n_skills - 1``).
    """

    def __init__(self, n_skills: int) -> None:
        self.position = 0
        self.attempts_all = 0.0
        self.correct_all = 0.0
        self.recent_all: tuple[int, ...] = ()
        self.skill_attempts = np.zeros(n_skills)
        self.skill_correct = np.zeros(n_skills)
        self.skill_recent: dict[int, tuple[int, ...]] = {}
        self.skill_last_position = np.full(n_skills, -1)

    def after(self, skill: int, correct: bool) -> LearnerHistory:
        """A copy with one more answer on ``skill`` (a code); ``self`` is left unchanged."""
        keep = max(WINDOWS)
        new = LearnerHistory.__new__(LearnerHistory)
        new.position = self.position + 1
        new.attempts_all = self.attempts_all + 1.0
        new.correct_all = self.correct_all + float(correct)
        new.recent_all = (*self.recent_all, int(correct))[-keep:]
        new.skill_attempts = self.skill_attempts.copy()
        new.skill_attempts[skill] += 1.0
        new.skill_correct = self.skill_correct.copy()
        new.skill_correct[skill] += float(correct)
        new.skill_recent = {
            **self.skill_recent,
            skill: (*self.skill_recent.get(skill, ()), int(correct))[-keep:],
        }
        new.skill_last_position = self.skill_last_position.copy()
        new.skill_last_position[skill] = self.position
        return new

    def attempts(self, skills: np.ndarray) -> np.ndarray:
        """Answers the learner gave on each skill code of ``skills``."""
        return self.skill_attempts[skills].astype(np.int64)

    def features(self, skills: np.ndarray) -> np.ndarray:
        """The numeric features of :func:`history_features` for a next answer on each of ``skills``."""
        overall = _window_features(self.attempts_all, self.correct_all, self.recent_all)
        rows = []
        for skill in skills.tolist():
            last = self.skill_last_position[skill]
            steps = 0.0 if last < 0 else float(self.position - last)
            per_skill = _window_features(
                self.skill_attempts[skill], self.skill_correct[skill], self.skill_recent.get(skill, ())
            )
            rows.append([*overall, *per_skill, np.log1p(steps)])
        return np.asarray(rows, dtype=np.float64)
