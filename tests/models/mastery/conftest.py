from __future__ import annotations

import pandas as pd
import pytest

from models.mastery.model import ATTENTION, MasteryModel, fit_mastery
from tests.models.mastery.helpers import ATTENTIVE, SMALL, simulate


@pytest.fixture(scope="package")
def train_responses() -> pd.DataFrame:
    return simulate(300, 40, seed=1, prefix="train")


@pytest.fixture(scope="package")
def test_responses() -> pd.DataFrame:
    return simulate(100, 40, seed=2, prefix="test")


@pytest.fixture(scope="package")
def fitted(train_responses: pd.DataFrame) -> MasteryModel:
    return fit_mastery(train_responses, SMALL)


@pytest.fixture(scope="package")
def attention(train_responses: pd.DataFrame) -> MasteryModel:
    """The second network family (attention over the learner's last answers), fitted on the same learners."""
    return fit_mastery(train_responses, ATTENTIVE, family=ATTENTION)
