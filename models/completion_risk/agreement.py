"""The completion risk against the synthetic generator's hidden dropouts (``truth.dropouts``).

On generated data the truth says, for every enrollment, whether and when its learner dropped out, censored
or not by a finished outcome in the mart: a risk that ranks the enrollments which later drop out above the
others has learned something real. Pure: frames in, figures out (``features.read_truth_dropouts`` reads the
truth; OULAD imports and the learning API's own data have none).

The exact definition, per grid day k:

- **Day k** is the mart's: counted from the course run's first day, or from the UTC day of enrollment when
  the enrollment has no run; its date is ``as_of_date = starts_on + k`` (the features read what is dated on
  or before it).
- **Rows**: the enrollments a model at day k scores (``features.scorable``: not unregistered, not finished
  by ``as_of_date``) that the truth also has still in progress at the end of day k (no dropout dated on or
  before ``as_of_date``), whatever their outcome label (enrollments still open when the history ends count
  too), and whose day k is over before the history's last day (``as_of_date`` before the UTC date of the
  latest learner event): later grid days are in the mart, but they read days the generator never
  simulated, on which every learner looks idle and nobody drops out.
- **Label**: 1 when the truth has the enrollment drop out after day k (the UTC date of ``dropped_at`` after
  ``as_of_date``); 0 otherwise: it completed, or it was still in progress when the generated history ended
  (never dropped, as far as the truth knows: those are censored, and a few of them would have dropped out
  later).
- **Score**: the risk ``1 - P(completes)`` of the model of day k.
- **Figure**: the area under the ROC curve of the risk against the label (``None`` when the rows hold one
  class only), with ``n`` rows and the number of ``dropouts`` among them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.completion_risk.evaluate import auc
from models.completion_risk.features import add_derived, scorable
from models.completion_risk.model import CompletionRiskModel


def dropped_after_day(rows: pd.DataFrame, dropouts: pd.DataFrame, last_day: pd.Timestamp) -> pd.DataFrame:
    """``rows`` (mart rows with ``enrollment_id``, ``day_k``, ``starts_on``) whose day k is over before
    ``last_day`` (the history's) and that the truth has still in progress at the end of it, with
    ``dropped_after`` (bool): the truth has them drop out later.

    ``dropouts`` has one row per dropped enrollment: ``enrollment_id`` and ``dropped_on`` (the UTC date of
    ``truth.dropouts.dropped_at``).
    """
    as_of = pd.to_datetime(rows["starts_on"]) + pd.to_timedelta(rows["day_k"].astype(np.int64), unit="D")
    truth = dropouts.assign(enrollment_id=dropouts["enrollment_id"].astype(str))
    by_enrollment = truth.drop_duplicates("enrollment_id").set_index("enrollment_id")["dropped_on"]
    dropped_on = pd.to_datetime(rows["enrollment_id"].astype(str).map(by_enrollment))
    in_progress = ((dropped_on.isna() | (dropped_on > as_of)) & (as_of < pd.Timestamp(last_day))).to_numpy()
    out = rows.loc[in_progress].copy()
    out["dropped_after"] = dropped_on[in_progress].notna().to_numpy()
    return out.reset_index(drop=True)


def dropout_auc(risk: np.ndarray, dropped_after: np.ndarray) -> dict[str, Any]:
    """AUC of a risk against the truth's later dropouts, with the rows and dropouts it was measured on."""
    labels = np.asarray(dropped_after, dtype=bool)
    return {
        "auc": auc(labels, np.asarray(risk, dtype=np.float64)),
        "n": int(len(labels)),
        "dropouts": int(labels.sum()),
    }


def truth_rows(
    frame: pd.DataFrame, dropouts: pd.DataFrame, last_day: pd.Timestamp, days: Sequence[int]
) -> pd.DataFrame:
    """The rows the figure is measured on at ``days``, with the derived features and ``dropped_after``.

    ``frame`` holds the mart's rows (``read_features``), every enrollment of a scored cohort included: the
    cohort-relative features compare each row with its cohort's open rows at the same day, as the model
    saw them in training.
    """
    rows = add_derived(scorable(frame))
    at_days = rows.loc[rows["day_k"].isin(list(days))].reset_index(drop=True)
    return dropped_after_day(at_days, dropouts, last_day)


def truth_agreement(
    model: CompletionRiskModel,
    frame: pd.DataFrame,
    dropouts: pd.DataFrame,
    last_day: pd.Timestamp,
    days: Sequence[int],
    *,
    test_runs_from: date | None = None,
    enrollments: Collection[str] | None = None,
) -> dict[str, Any]:
    """Per day of ``days``, the AUC of the model's risk against the truth's later dropouts.

    Parameters
    ----------
    model : CompletionRiskModel
        Fitted on rows that are not scored here (the protocol's training runs); has a model for each day.
    frame : pandas.DataFrame
        The mart's rows (``read_features``).
    dropouts : pandas.DataFrame
        ``enrollment_id`` and ``dropped_on`` per dropped enrollment (``read_truth_dropouts``).
    last_day : pandas.Timestamp
        The generated history's last day (``read_truth_dropouts``).
    days : sequence of int
        Grid days to measure at.
    test_runs_from : datetime.date, optional
        When given, only enrollments whose run (or, without a run, enrollment day) starts on or after it
        are scored: the protocol's test runs.
    enrollments : collection of str, optional
        When given, only these enrollments are scored (held-out learners).

    Returns
    -------
    dict
        ``{"day_<k>": {"auc", "n", "dropouts"}}`` (the definition is the module's docstring).
    """
    rows = truth_rows(frame, dropouts, last_day, days)
    if test_runs_from is not None:
        rows = rows.loc[rows["starts_on"] >= pd.Timestamp(test_runs_from)].reset_index(drop=True)
    if enrollments is not None:
        rows = rows.loc[rows["enrollment_id"].astype(str).isin(set(enrollments))].reset_index(drop=True)
    out: dict[str, Any] = {}
    for day_k in sorted(set(days)):
        at_day = rows.loc[rows["day_k"] == day_k].reset_index(drop=True)
        risk = 1.0 - model.predict(at_day) if len(at_day) else np.empty(0)
        out[f"day_{day_k}"] = dropout_auc(risk, at_day["dropped_after"].to_numpy())
    return out
