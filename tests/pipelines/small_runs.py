"""Run config that shrinks model training in tests: the served defaults train for minutes, not seconds.

Every test that runs a job holding ``skill_mastery`` passes these ops; the accuracy of the small network is
checked where it matters (tests/pipelines/test_mastery.py holds its Spearman floor with this size). The
completion-risk trees shrink the same way in every job that holds ``completion_risk`` (tests/pipelines/
test_risk.py holds the pipeline at this size; tests/models/completion_risk holds the accuracy): at the
served size its parameter choice fits hundreds of boosted-tree models, most of a whole-pipeline run.
"""

from __future__ import annotations

from collections.abc import Collection

SMALL_MODEL_OPS: dict[str, object] = {
    "skill_mastery": {"config": {"hidden": 16, "epochs": 4, "window": 60, "seed": 1}},
}
SMALL_MODEL_RUN: dict[str, object] = {"ops": SMALL_MODEL_OPS}
SMALL_RISK_OPS: dict[str, object] = {"completion_risk": {"config": {"max_iter": 40, "folds": 2}}}
# Both, for the jobs that hold both (the whole pipeline, the weekly retraining).
SMALL_PIPELINE_OPS: dict[str, object] = {**SMALL_MODEL_OPS, **SMALL_RISK_OPS}


def small_ops(nodes: Collection[str]) -> dict[str, object]:
    """The small config of each model a job holds (``nodes``: its graph's node names)."""
    return {name: config for name, config in SMALL_PIPELINE_OPS.items() if name in nodes}
