"""The completion-risk model's inputs: ``analytics.fct_enrollment_features`` at grid days, the learners'
demographics (for per-group evaluation only, never as features) and features relative to the cohort.

Every feature of a row is what was known at the end of its day k: the mart's columns are measured by day k,
and the cohort-relative features compare an enrollment with the other enrollments of its course run at the
same day k only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg

MART_FEATURES = (
    "event_count",
    "click_count",
    "active_days",
    "events_last_7_days",
    "events_last_14_days",
    "days_since_last_activity",
    "longest_streak_days",
    "current_streak_days",
    "lessons_completed",
    "progress_share",
    "assessments_due",
    "assessments_submitted",
    "assessments_submitted_late",
    "assessments_missed",
    "mean_score",
    "last_score",
    "score_trend",
    "weighted_score",
    "days_registered_before_start",
)
# How many assessments are due, submitted, late and missed is the course's schedule as much as the learner:
# one course has one assessment due by day 100, another six. The model reads them as shares of what was
# due (submitted, missed) and of what was submitted (late) instead of as counts.
ASSESSMENT_COUNTS = (
    "assessments_due",
    "assessments_submitted",
    "assessments_submitted_late",
    "assessments_missed",
)
SHARE_FEATURES = ("submitted_share", "late_share")
COHORT_FEATURES = ("clicks_vs_cohort", "active_days_vs_cohort", "score_vs_cohort")
# How recent the activity is: the share of it in the last 14 days (a falling trend shows as a small share
# late in the run) and the last 7 and 14 days against the cohort's median over the same days.
RECENCY_FEATURES = ("recent_share", "last_7_days_vs_cohort", "last_14_days_vs_cohort")
FEATURES = (
    *(name for name in MART_FEATURES if name not in ASSESSMENT_COUNTS),
    "missed_share",
    *COHORT_FEATURES,
    *RECENCY_FEATURES,
    *SHARE_FEATURES,
)
# What the features say about assessments. Before the first assessment of a run falls due they carry no
# signal, yet a model that only ever saw rows with assessments due reads "nothing submitted, no score" as
# missed assessments: a course whose first assessment comes later than every training course's is then
# predicted to fail wholesale. Such rows are scored by a model that does not read these (``model``).
ASSESSMENT_FEATURES = (
    "submitted_share",
    "late_share",
    "mean_score",
    "last_score",
    "score_trend",
    "weighted_score",
    "missed_share",
    "score_vs_cohort",
)
GROUPS = ("imd_band", "age_band", "gender", "disability")

_QUERY = """
select
    features.enrollment_id::text as enrollment_id,
    features.learner_id::text as learner_id,
    features.course_id::text as course_id,
    coalesce(features.course_run_id, features.course_id)::text as cohort_id,
    features.day_k,
    features.as_of_date - features.day_k as starts_on,
    {columns},
    features.is_unregistered,
    features.is_finished,
    features.has_activity_data,
    features.completed,
    learners.imd_band,
    learners.age_band,
    learners.gender,
    case when learners.has_disability then 'yes' when not learners.has_disability then 'no' end
        as disability
from analytics.fct_enrollment_features as features
{scope}
left join analytics.dim_learners as learners
    on learners.learner_id = features.learner_id
where features.day_k <= %(up_to)s
order by features.day_k, features.enrollment_id
"""
# Scoring needs each open enrollment's latest grid day and, for the cohort-relative features, everyone in
# its cohort at that same day: only those (cohort, day) pairs are read, not the whole history.
_OPEN_COHORT_DAYS = """
join (
    select distinct coalesce(open_rows.course_run_id, open_rows.course_id) as cohort_id, open_rows.day_k
    from analytics.fct_enrollment_features as open_rows
    join (
        select enrollment_id, max(day_k) as day_k
        from analytics.fct_enrollment_features
        where completed is null
        group by enrollment_id
    ) as latest using (enrollment_id, day_k)
) as wanted
    on wanted.cohort_id = coalesce(features.course_run_id, features.course_id)
    and wanted.day_k = features.day_k
"""


def read_features(conn: psycopg.Connection, up_to: int, *, open_cohorts_only: bool = False) -> pd.DataFrame:
    """The mart's rows at grid days up to ``up_to`` with the learners' demographic groups (the model of day
    k learns from every grid day up to k), from the current database.

    ``open_cohorts_only``: only the rows scoring needs (``scoring.open_latest``): the cohorts and days at
    which an open enrollment has its latest row, every enrollment of the cohort at that day included.
    """
    query = _QUERY.format(
        columns=", ".join(f"features.{name}" for name in MART_FEATURES),
        scope=_OPEN_COHORT_DAYS if open_cohorts_only else "",
    )
    with conn.cursor() as cursor:
        cursor.execute(query, {"up_to": up_to})
        names = [column.name for column in cursor.description or ()]
        frame = pd.DataFrame(cursor.fetchall(), columns=names)
    for name in MART_FEATURES:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    frame["starts_on"] = pd.to_datetime(frame["starts_on"])
    return frame


def scorable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows a model at day k scores: the enrollment is still open at day k (not unregistered, not yet
    finished). Labelled rows only when the label is wanted: callers drop ``completed`` nulls themselves."""
    still_open = ~frame["is_unregistered"].astype(bool) & ~frame["is_finished"].astype(bool)
    return frame.loc[still_open].reset_index(drop=True)


def add_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the shares of due assessments missed and submitted, of submissions late, of the activity in the
    last 14 days, and the cohort-relative features.

    The cohort is the enrollments of the same course run (course, without a run) at the same day k that are
    in ``frame``; callers pass the rows still open at day k, so a learner is compared with those a model at
    day k also scores. Ratios to the cohort median make click volumes comparable across courses whose
    materials differ in size; the score difference does the same for harder and easier assessments.
    """
    frame = frame.copy()
    due = frame["assessments_due"]
    frame["missed_share"] = np.where(due > 0, frame["assessments_missed"] / due.where(due > 0), np.nan)
    frame["submitted_share"] = np.where(due > 0, frame["assessments_submitted"] / due.where(due > 0), np.nan)
    submitted = frame["assessments_submitted"]
    frame["late_share"] = np.where(
        submitted > 0, frame["assessments_submitted_late"] / submitted.where(submitted > 0), np.nan
    )
    cohort = frame.groupby(["cohort_id", "day_k"], sort=False)
    for name, source in (("clicks_vs_cohort", "click_count"), ("active_days_vs_cohort", "active_days")):
        median = cohort[source].transform("median")
        frame[name] = (frame[source] + 1.0) / (median + 1.0)
    frame["score_vs_cohort"] = frame["mean_score"] - cohort["mean_score"].transform("median")
    events = frame["event_count"]
    frame["recent_share"] = np.where(
        events > 0, frame["events_last_14_days"] / events.where(events > 0), np.nan
    )
    for name, source in (
        ("last_7_days_vs_cohort", "events_last_7_days"),
        ("last_14_days_vs_cohort", "events_last_14_days"),
    ):
        frame[name] = (frame[source] + 1.0) / (cohort[source].transform("median") + 1.0)
    return frame


def design(frame: pd.DataFrame, *, assessments: bool = True) -> np.ndarray:
    """The model's feature matrix (missing values stay NaN: the trees route them).

    Without ``assessments`` the :data:`ASSESSMENT_FEATURES` columns are all NaN: the same columns in the
    same order (contributions stay aligned with :data:`FEATURES`), none of which a tree can split on.
    """
    x = frame.loc[:, list(FEATURES)].to_numpy(dtype=np.float64, copy=True)
    if not assessments:
        x[:, [FEATURES.index(name) for name in ASSESSMENT_FEATURES]] = np.nan
    return x


def nothing_due(frame: pd.DataFrame) -> np.ndarray:
    """Rows at whose day no assessment of the run had fallen due yet (what is missing reads as none)."""
    return (frame["assessments_due"].fillna(0.0) <= 0).to_numpy()


def read_truth_dropouts(conn: psycopg.Connection) -> tuple[pd.DataFrame, pd.Timestamp] | None:
    """The synthetic generator's hidden dropouts and the last day of its history, or None when the database
    has no ``truth.dropouts`` rows (OULAD imports, the learning API's own data).

    The dropouts: ``enrollment_id`` and ``dropped_on`` (the UTC date of ``dropped_at``). The last day: the
    UTC date of the latest learner event (the generated history ends that day; the truth knows nothing
    after it).
    """
    with conn.cursor() as cursor:
        cursor.execute("select to_regclass('truth.dropouts') is not null")
        row = cursor.fetchone()
        if row is None or not row[0]:
            return None
        cursor.execute(
            "select enrollment_id::text, (dropped_at at time zone 'UTC')::date as dropped_on"
            " from truth.dropouts"
        )
        frame = pd.DataFrame(cursor.fetchall(), columns=["enrollment_id", "dropped_on"])
        if frame.empty:
            # The schema is there in every migrated database; without a generation it holds nothing.
            return None
        cursor.execute("select (max(occurred_at) at time zone 'UTC')::date from learner_events")
        last = cursor.fetchone()
    if last is None or last[0] is None:
        return None
    frame["dropped_on"] = pd.to_datetime(frame["dropped_on"])
    return frame, pd.Timestamp(last[0])
