from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from models.completion_risk import CompletionRiskModel, fit_risk, labelled_open
from tests.models.completion_risk.helpers import FAST, simulate


@pytest.fixture(scope="package")
def train_rows() -> pd.DataFrame:
    return labelled_open(simulate(500, 1, date(2025, 2, 1), prefix="a"))


@pytest.fixture(scope="package")
def test_rows() -> pd.DataFrame:
    return labelled_open(simulate(300, 2, date(2025, 10, 1), prefix="b"))


@pytest.fixture(scope="package")
def fitted(train_rows: pd.DataFrame) -> CompletionRiskModel:
    return fit_risk(train_rows, [30, 60], FAST)
