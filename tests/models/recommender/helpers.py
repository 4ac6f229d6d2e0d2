"""A checkerboard of tastes with a known answer, shared by the recommender tests.

24 learners of group "a" and 12 of group "b" (and optionally some of group "c") each take four
consecutive courses (in a cycle) from their own group's six courses, one a day. Time split holds out the
fourth course. Group "a" is larger, so the most-popular baseline recommends "a" courses to everybody and
misses every other learner: with two groups its recall@3 is exactly 24/36, while a model that has found
the tastes reaches 1.
"""

from __future__ import annotations

import pandas as pd

from models.recommender.model import ALSParams

COLUMNS = ["learner_id", "course_id", "event_count", "first_at"]
START = pd.Timestamp("2024-01-01", tz="UTC")
# Two tastes, two factors: more factors than the structure needs let ALS memorise 36 learners instead.
TWO_TASTES = ALSParams(factors=2, iterations=20, regularization=0.05, alpha=20.0)
WORSE = ALSParams(factors=1, iterations=1)


def checkerboard(n_a: int = 24, n_b: int = 12, n_c: int = 0) -> pd.DataFrame:
    rows = [
        (f"{group}-learner-{i:02d}", f"{group}{(i + j) % 6}", 3 * j, START + pd.Timedelta(days=i + j))
        for group, n_learners in (("a", n_a), ("b", n_b), ("c", n_c))
        for i in range(n_learners)
        for j in range(4)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
