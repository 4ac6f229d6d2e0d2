"""``skillstudio models ...``: the models' evaluation commands (the protocol of each task, on given data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

models_app = typer.Typer(help="Models: evaluate a task's model on given data.", no_args_is_help=True)
evaluate_app = typer.Typer(
    help="Run a task's evaluation protocol; one JSON line of metrics.", no_args_is_help=True
)
models_app.add_typer(evaluate_app, name="evaluate")

ResponsesFile = Annotated[
    Path,
    typer.Option(
        exists=True,
        dir_okay=False,
        help="CSV of responses: learner_id,seq,skill_id,correct (optional item_id).",
    ),
]


@evaluate_app.command("mastery")
def evaluate_mastery_command(
    train: ResponsesFile,
    test: ResponsesFile,
    seed: Annotated[int, typer.Option(help="Seed of the validation split and the network.")] = 0,
    save: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Also write the fitted model (.npz).")
    ] = None,
) -> None:
    """Fit the skill-mastery model on --train, predict every --test answer from earlier ones, score it.

    Train and test learners must be disjoint. Prints one JSON line: auc, rmse, baseline_auc (per-skill
    mean), pfa_auc, n_train, n_test, model. Progress goes to stderr.
    """
    from dataclasses import replace

    from models.mastery.evaluate import evaluate_mastery
    from models.mastery.features import read_responses
    from models.mastery.model import DEFAULT_PARAMS

    console = Console(stderr=True)
    console.log(f"reading {train} and {test}")
    train_rows, test_rows = read_responses(train), read_responses(test)
    console.log(f"{len(train_rows):,} training answers, {len(test_rows):,} test answers")
    try:
        metrics, model = evaluate_mastery(
            train_rows, test_rows, replace(DEFAULT_PARAMS, seed=seed), progress=console.log
        )
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    if save is not None:
        model.save(save)
        console.log(f"model written to {save}")
    typer.echo(json.dumps(metrics))
