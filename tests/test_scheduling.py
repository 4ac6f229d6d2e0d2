"""The test groups' schedule: the groups holding a slow test are handed out first (tests/scheduling.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.scheduling import first_slow, slow_groups


@dataclass
class Item:
    """What the schedule reads of a collected test: its node id and its markers."""

    nodeid: str
    slow: bool = False

    def get_closest_marker(self, name: str) -> Any:
        return pytest.mark.slow.mark if self.slow and name == "slow" else None


def test_groups_holding_a_slow_test_are_listed_once() -> None:
    items = [
        Item("tests/test_end_to_end.py::test_whole_path", slow=True),
        Item("tests/dbt/test_marts.py::test_one"),
        Item("tests/dbt/test_oulad.py::test_auc"),
        Item("tests/dbt/test_oulad.py::test_reference", slow=True),
        Item("tests/api/test_other.py::test_fast"),
    ]
    groups = {
        "tests/test_end_to_end.py": "tests/test_end_to_end.py",
        "tests/dbt/test_marts.py": "tests/dbt/test_marts.py",
        "tests/dbt/test_oulad.py": "tests/dbt/test_marts.py",  # sharing a warehouse: one group
        "tests/api/test_other.py": "tests/api/test_other.py",
    }

    assert slow_groups(items, groups) == ["tests/dbt/test_marts.py", "tests/test_end_to_end.py"]  # type: ignore[arg-type]


def test_slow_groups_lead_the_queue_each_part_in_its_order() -> None:
    queue = {"big": 1, "warehouse": 2, "small": 3, "end_to_end": 4, "oulad": 5}

    assert first_slow(queue, ["oulad", "end_to_end"]) == ["end_to_end", "oulad", "big", "warehouse", "small"]
    assert first_slow(queue, []) == list(queue)
