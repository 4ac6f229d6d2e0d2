"""The skill-mastery model against the baselines a knowledge-tracing paper would list, on one protocol.

Train and test learners are disjoint; every test answer is predicted from the same learner's earlier
answers only; AUC and RMSE are over all test answers (first answers included). Models, in one run:

- per-skill mean, PFA (per-skill easiness and log counts of prior successes and failures on the skill),
- Best-LR with windows (PFA's terms plus overall and per-skill counts, rates and recent windows),
- the shipped model (GRUs over past answers and an attention network over the last answers, with those
  counts in their heads, blended with Best-LR as chosen on 10% of the training learners), as
  ``skillstudio models evaluate mastery``
  fits it, and its online path's time per answer (predict the next answer, then update the state).

The machine is shared: the load average at the start is printed with the figures, and train times
include waiting for the CPU. The last line is a JSON object of the figures.

    .venv/bin/python -m benchmarks.mastery                           # ASSISTments 2015 from ../shared
    .venv/bin/python -m benchmarks.mastery --train a.csv --test b.csv
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from models.mastery import (  # noqa: E402 (thread count before numpy loads)
    DEFAULT_PARAMS,
    MODEL_NAME,
    PerformanceFactors,
    SkillMean,
    WindowedLogistic,
    auc,
    build_vocabulary,
    fit_ensemble,
    history_features,
    read_responses,
    rmse,
)

# The shared data sit next to the repository (``../shared``); a worktree is one level further down.
DEFAULT_DATA = next(
    (
        folder / "shared" / "data" / "kt" / "assist2015"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "data" / "kt" / "assist2015").is_dir()
    ),
    Path("../shared/data/kt/assist2015"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DEFAULT_DATA / "train.csv")
    parser.add_argument("--test", type=Path, default=DEFAULT_DATA / "test.csv")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    train, test = read_responses(args.train), read_responses(args.test)
    vocabulary = build_vocabulary(train)
    train_history, test_history = history_features(train, vocabulary), history_features(test, vocabulary)
    correct = test_history.correct
    figures: dict[str, dict[str, float]] = {}

    def record(name: str, predicted: np.ndarray, started: float) -> None:
        figures[name] = {"auc": auc(correct, predicted), "rmse": rmse(correct, predicted)}
        figures[name]["seconds"] = round(time.monotonic() - started, 1)
        print(
            f"{name:>16}: AUC {figures[name]['auc']:.4f}  RMSE {figures[name]['rmse']:.4f}", file=sys.stderr
        )

    for name, kind in (
        ("skill_mean", SkillMean),
        ("pfa", PerformanceFactors),
        ("best_lr_windows", WindowedLogistic),
    ):
        started = time.monotonic()
        record(name, kind.fit(train_history, vocabulary.n_skills).predict(test_history), started)
    started = time.monotonic()
    model, name = fit_ensemble(train, DEFAULT_PARAMS, progress=lambda line: print(line, file=sys.stderr))
    record(MODEL_NAME, model.predict_responses(test), started)
    figures[MODEL_NAME]["validation_auc"] = model.validation_auc
    print(f"served model: {name}", file=sys.stderr)
    # The online path: one learner's answers replayed through predict_next + update, as serving would.
    one = test[test["learner_id"] == test["learner_id"].iloc[0]]
    state, started = model.new_state(), time.perf_counter()
    for skill_id, answer in zip(one["skill_id"], one["correct"], strict=True):
        model.predict_next(state, skill_id)
        state = model.update(state, skill_id, bool(answer))
    figures[MODEL_NAME]["online_ms_per_answer"] = 1000 * (time.perf_counter() - started) / len(one)
    print(json.dumps({"n_train": len(train), "n_test": len(test), "models": figures}))


if __name__ == "__main__":
    main()
