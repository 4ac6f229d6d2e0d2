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
    assert (metrics["n_train"], metrics["n_test"]) == (2000, 750)
    assert metrics["model"].startswith("gru-counts")
    for name in ("auc", "baseline_auc", "pfa_auc"):
        assert 0.5 < metrics[name] < 1.0
    assert 0.0 < metrics["rmse"] < 0.5


def test_the_ensemble_is_chosen_on_training_learners_and_beats_the_skill_mean(
    train_responses: pd.DataFrame, test_responses: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    lines: list[str] = []
    metrics, model = evaluate_mastery(
        train_responses, test_responses, SMALL, members=2, progress=lines.append
    )
    assert metrics["model"] in {
        "gru-counts",
        "gru-counts-x2",
        "gru-counts-x2+attention-counts-x1",
        "gru-counts-x2+best-lr",
        "gru-counts-x2+attention-counts-x1+best-lr",
    }
    # The choice is printed with the validation figures it was made on, before any test figure exists.
    assert any(line.startswith(f"chosen on validation learners: {metrics['model']} ") for line in lines)
    # Five candidates: one GRU, the GRUs' mean, every network's mean, and each mean blended with Best-LR.
    assert sum(line.startswith("validation AUC ") for line in lines) == 5
    # BKT learners: the history matters, so the tracer must beat the per-skill mean clearly.
    assert float(metrics["auc"]) > float(metrics["baseline_auc"]) + 0.05
    assert model.params.seed == SMALL.seed
