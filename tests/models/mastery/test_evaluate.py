"""The protocol and its command: disjoint learners, the model next to both baselines, one JSON line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.mastery.evaluate import evaluate_mastery
from skillstudio.main.cli import app
from tests.models.mastery.helpers import SMALL, simulate


def test_overlapping_learners_are_refused(train_responses: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="disjoint"):
        evaluate_mastery(train_responses, train_responses.head(100), SMALL)


def test_the_command_prints_one_json_line_of_metrics(tmp_path: Path) -> None:
    simulate(80, 25, seed=5, prefix="a").assign(item_id=lambda f: f["skill_id"] + "-q").to_csv(
        tmp_path / "train.csv", index=False
    )
    simulate(30, 25, seed=6, prefix="b").to_csv(tmp_path / "test.csv", index=False)
    result = CliRunner().invoke(
        app,
        [
            "models",
            "evaluate",
            "mastery",
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    assert set(metrics) == {"auc", "rmse", "baseline_auc", "pfa_auc", "n_train", "n_test", "model"}
    assert (metrics["n_train"], metrics["n_test"], metrics["model"]) == (2000, 750, "gru-counts")
    for name in ("auc", "baseline_auc", "pfa_auc"):
        assert 0.5 < metrics[name] < 1.0
    assert 0.0 < metrics["rmse"] < 0.5
