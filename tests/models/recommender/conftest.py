from __future__ import annotations

import pandas as pd
import pytest

from models.recommender.features import build_interaction_matrix
from models.recommender.model import CourseRecommender, fit_als
from tests.models.recommender.helpers import TWO_TASTES, checkerboard


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    return checkerboard()


@pytest.fixture(scope="module")
def full_model(interactions: pd.DataFrame) -> CourseRecommender:
    return fit_als(build_interaction_matrix(interactions), TWO_TASTES)
