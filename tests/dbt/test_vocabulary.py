"""The dbt staging tests accept exactly the event vocabulary that the API accepts."""

from __future__ import annotations

import typing

import yaml

from pipelines.defs.analytics.project import DBT_PROJECT_DIR
from skillstudio.events.contract import VERBS, ObjectType


def accepted_values(column: str) -> set[str]:
    path = DBT_PROJECT_DIR / "models/staging/skillstudio/stg_skillstudio__learner_events.yml"
    (model,) = yaml.safe_load(path.read_text())["models"]
    (spec,) = [item for item in model["columns"] if item["name"] == column]
    (test,) = [test["accepted_values"] for test in spec["data_tests"] if isinstance(test, dict)]
    return set(test["arguments"]["values"])


def test_verbs_and_object_types_match_the_contract() -> None:
    assert accepted_values("verb") == set(VERBS)
    assert accepted_values("object_type") == set(typing.get_args(ObjectType))
