"""Mastery of every learner × skill after their whole history, and its agreement with known abilities.

On generated data the generator's true abilities are known; a tracer whose mastery ranks learners the
way those abilities do has learned something real. Spearman, because the model's probability and the
generator's logit ability are on different scales and only their order is comparable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from models.mastery.features import prepare_responses
from models.mastery.model import MasteryModel

MASTERY_COLUMNS = ["learner_id", "skill_id", "probability", "level", "standard_error", "answers"]


def learner_mastery(model: MasteryModel, responses: pd.DataFrame) -> pd.DataFrame:
    """Replay each learner's answers through the online update; mastery of the skills they answered.

    Parameters
    ----------
    model : MasteryModel
        A fitted tracer.
    responses : pandas.DataFrame
        Long-format responses (see :func:`models.mastery.features.prepare_responses`).

    Returns
    -------
    pandas.DataFrame
        One row per learner and skill the learner answered at least once, columns
        :data:`MASTERY_COLUMNS`, as :meth:`MasteryModel.mastery` reads them after the last answer.
    """
    prepared = prepare_responses(responses)
    rows: list[tuple[str, str, float, float, float, int]] = []
    for learner_id, answers in prepared.groupby("learner_id", sort=True):
        state = model.new_state()
        for skill_id, correct in zip(answers["skill_id"], answers["correct"], strict=True):
            state = model.update(state, skill_id, bool(correct))
        answered = set(answers["skill_id"])
        rows.extend(
            (str(learner_id), m.skill_id, m.probability, m.level, m.standard_error, m.answers)
            for m in model.mastery(state)
            if m.skill_id in answered
        )
    return pd.DataFrame(rows, columns=MASTERY_COLUMNS)


def spearman_with_truth(mastery: pd.DataFrame, truth: pd.DataFrame, *, within_skill: bool = False) -> float:
    """Spearman correlation of ``mastery.probability`` with ``truth.theta`` on the shared learner × skill.

    Parameters
    ----------
    mastery : pandas.DataFrame
        Output of :func:`learner_mastery`.
    truth : pandas.DataFrame
        Columns ``learner_id``, ``skill_id`` and ``theta`` (the true ability).
    within_skill : bool, default False
        When True, the mean of the per-skill correlations (skills with at least 5 pairs), so that skills
        easier than others cannot make the figure by themselves.

    Returns
    -------
    float
        NaN when fewer than 3 pairs match.
    """
    keys = ["learner_id", "skill_id"]
    joined = mastery.astype({k: str for k in keys}).merge(truth.astype({k: str for k in keys}), on=keys)
    if len(joined) < 3:
        return float("nan")
    if not within_skill:
        return float(spearmanr(joined["probability"], joined["theta"]).statistic)
    per_skill = [
        float(spearmanr(group["probability"], group["theta"]).statistic)
        for _, group in joined.groupby("skill_id")
        if len(group) >= 5 and group["theta"].nunique() > 1 and group["probability"].nunique() > 1
    ]
    return float(np.mean(per_skill)) if per_skill else float("nan")
