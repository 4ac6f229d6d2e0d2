"""``skillstudio models ...``: the models' evaluation commands (the protocol of each task, on given data)."""

from __future__ import annotations

import json
from datetime import datetime
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


def _parse_days(days: str) -> list[int]:
    try:
        parsed = sorted({int(part) for part in days.split(",") if part.strip()})
    except ValueError:
        raise typer.BadParameter(f"--days must be comma-separated whole days, got {days!r}") from None
    if not parsed or parsed[0] < 0:
        raise typer.BadParameter("--days needs at least one day, none negative")
    return parsed


@evaluate_app.command("completion-risk")
def evaluate_completion_risk_command(
    test_runs_from: Annotated[
        datetime,
        typer.Option(
            formats=["%Y-%m-%d"], help="Runs starting on or after this date are tested; earlier ones train."
        ),
    ],
    days: Annotated[str, typer.Option(help="Grid days to evaluate at, comma-separated.")] = "30,60,100",
    seed: Annotated[int, typer.Option(help="Seed of the validation slice and the trees.")] = 0,
) -> None:
    """Fit the completion-risk model on earlier course runs and score later ones, from the current database.

    Reads ``analytics.fct_enrollment_features`` (built by the pipeline; nothing is built here). Prints one
    JSON line: per day auc, brier, baseline_auc (logistic regression on assessment scores), majority-class
    figures, n_test and a calibration table; by_group (imd_band, age_band, gender, disability); model.
    On generated data (a ``truth.dropouts`` table), also truth: per day the AUC of the risk against the
    generator's hidden later dropouts on the test runs (models/completion_risk/agreement.py). Progress goes
    to stderr.
    """
    from dataclasses import replace

    import psycopg

    from models.completion_risk import DEFAULT_PARAMS, evaluate_completion_risk, read_features
    from models.completion_risk.agreement import truth_agreement
    from models.completion_risk.features import read_truth_dropouts
    from skillstudio.db import database_url, libpq_url
    from skillstudio.settings import get_settings

    console = Console(stderr=True)
    grid_days = _parse_days(days)
    console.log(f"reading analytics.fct_enrollment_features up to day {grid_days[-1]}")
    try:
        with psycopg.connect(libpq_url(database_url(get_settings()))) as conn:
            frame = read_features(conn, grid_days[-1])
            truth = read_truth_dropouts(conn)
    except psycopg.errors.UndefinedTable:
        console.print("[red]analytics.fct_enrollment_features is missing: build the analytics first[/]")
        raise typer.Exit(1) from None
    console.log(f"{len(frame):,} rows")
    try:
        metrics, model = evaluate_completion_risk(
            frame,
            test_runs_from.date(),
            grid_days,
            replace(DEFAULT_PARAMS, seed=seed),
            progress=console.log,
        )
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    if truth is not None:
        dropouts, last_day = truth
        metrics["truth"] = truth_agreement(
            model, frame, dropouts, last_day, grid_days, test_runs_from=test_runs_from.date()
        )
        console.log(f"against the generator's dropouts: {metrics['truth']}")
    typer.echo(json.dumps(metrics))


@evaluate_app.command("search")
def evaluate_search_command(
    catalog: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Catalogue CSV: external_id,title,description,subject,level,skills,provider.",
        ),
    ],
) -> None:
    """Hybrid search (embeddings + full text) against full text alone, on held-out skill queries.

    The catalogue is loaded into a scratch database with its skills hidden from the index; each skill named
    by at least 3 courses is a query (its name) whose relevant courses are those listing it. A catalogue
    without skills uses its subjects instead, hidden too. Prints one JSON line: p_at_10, ndcg_at_10,
    keyword_p_at_10, keyword_ndcg_at_10, semantic_p_at_10, semantic_ndcg_at_10, n_queries and what was
    hidden. Progress goes to stderr.
    """
    from skillstudio.db import database_url
    from skillstudio.main.search_evaluation import evaluate_search_catalog
    from skillstudio.settings import get_settings
    from skillstudio.sources.catalog import CatalogFormatError

    console = Console(stderr=True)
    try:
        metrics = evaluate_search_catalog(
            catalog, server_url=database_url(get_settings()), progress=console.log
        )
    except (CatalogFormatError, ValueError) as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(metrics))


@evaluate_app.command("recommender")
def evaluate_recommender_command(
    k: Annotated[int, typer.Option(min=1, help="Cut-off of recall@k and NDCG@k.")] = 10,
) -> None:
    """The hybrid recommender against ALS alone and popularity, on a time split of the current database.

    Reads ``analytics.fct_learner_course_interactions`` (built by the pipeline) and the catalogue. Each
    learner with at least two courses has their latest held out; the blend's weights are chosen on the
    same split of the training rows only. Prints one JSON line: recall_at_k, ndcg_at_k (hybrid),
    als_recall_at_k, als_ndcg_at_k, baseline_recall_at_k, baseline_ndcg_at_k (most popular),
    validation figures, n_test_learners, weights and model. Progress goes to stderr.
    """
    from dataclasses import asdict

    import pandas as pd
    import psycopg

    from models.recommender.evaluate import evaluate_hybrid
    from models.recommender.features import (
        COURSE_SKILLS_QUERY,
        COURSES_QUERY,
        INTERACTIONS_QUERY,
        time_split,
    )
    from models.recommender.hybrid import Catalog
    from skillstudio.db import database_url, libpq_url
    from skillstudio.settings import get_settings

    console = Console(stderr=True)

    def frame(conn: psycopg.Connection, query: str) -> pd.DataFrame:
        cursor = conn.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[column.name for column in cursor.description or []])

    console.log("reading analytics.fct_learner_course_interactions and the catalogue")
    try:
        with psycopg.connect(libpq_url(database_url(get_settings()))) as conn:
            interactions = frame(conn, INTERACTIONS_QUERY)
            catalog = Catalog.from_frames(frame(conn, COURSES_QUERY), frame(conn, COURSE_SKILLS_QUERY))
    except psycopg.errors.UndefinedTable:
        console.print(
            "[red]analytics.fct_learner_course_interactions is missing: build the analytics first[/]"
        )
        raise typer.Exit(1) from None
    if interactions.empty:
        console.print("[red]no learner-course interactions: load or generate learner events first[/]")
        raise typer.Exit(1)
    console.log(f"{len(interactions):,} interactions; fitting and choosing the blend")
    train, test = time_split(interactions)
    courses = sorted(interactions["course_id"].astype(str).unique())
    result = evaluate_hybrid(train, test, course_ids=courses, catalog=catalog, k=k)
    typer.echo(
        json.dumps(
            {
                **result.metrics,
                "weights": asdict(result.weights),
                "model": "hybrid: implicit ALS + content (skills, subject, level) + goal gap + popularity",
            }
        )
    )
