"""Every reason the model can give leads to a suggested action, or is one nothing can act on."""

from __future__ import annotations

from app_api.risk import service
from models.completion_risk.features import FEATURES

# When the learner registered is history: no step of the learner's changes it.
NOT_ACTIONABLE = {"days_registered_before_start"}


def test_every_model_feature_has_its_kind_of_action() -> None:
    grouped = service._INACTIVE | service._MISSED | service._SCORES
    assert set(FEATURES) - NOT_ACTIONABLE <= grouped, set(FEATURES) - NOT_ACTIONABLE - grouped
    assert not (service._INACTIVE & service._MISSED or service._INACTIVE & service._SCORES)
