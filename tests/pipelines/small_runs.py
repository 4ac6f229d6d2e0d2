"""Run config that shrinks model training in tests: the served defaults train for minutes, not seconds.

Every test that runs a job holding ``skill_mastery`` passes these ops; the accuracy of the small network is
checked where it matters (tests/pipelines/test_mastery.py holds its Spearman floor with this size).
"""

from __future__ import annotations

SMALL_MODEL_OPS: dict[str, object] = {
    "skill_mastery": {"config": {"hidden": 16, "epochs": 4, "window": 60, "seed": 1}},
}
SMALL_MODEL_RUN: dict[str, object] = {"ops": SMALL_MODEL_OPS}
