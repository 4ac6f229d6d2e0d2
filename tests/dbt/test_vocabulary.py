"""The dbt staging tests accept exactly the event vocabulary that the API accepts."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

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


def _recorded_terms(keyword: str) -> dict[str, str]:
    """Every string constant the code passes as ``keyword=`` to any call, with where: discovered from the
    source, so that an event recorded with a new term cannot be missed by the staging model's tests."""
    root = Path(__file__).resolve().parents[2]
    found: dict[str, str] = {}
    for package in ("app_api", "skillstudio", "serving", "pipelines"):
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(node, ast.Call):
                    continue
                for argument in node.keywords:
                    value = argument.value
                    if (
                        argument.arg == keyword
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.setdefault(value.value, f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_object_type_and_verb_the_code_records_is_accepted_by_dbt() -> None:
    # learning paths (object learning_path) and notifications were recorded without being accepted: a
    # database holding them failed ``dbt build`` on the events staging model's accepted_values test.
    object_types = _recorded_terms("object_type")
    assert {"learning_path", "notification", "goal"} <= set(object_types)
    missing = {
        term: where for term, where in object_types.items() if term not in accepted_values("object_type")
    }
    assert missing == {}
    verbs = _recorded_terms("verb")
    assert {"created", "updated"} <= set(verbs)
    assert {term: where for term, where in verbs.items() if term not in accepted_values("verb")} == {}
