"""The ``skillstudio`` command: database, data, pipeline, serving and the UIs.

Like the app factory, the CLI may reach ``app_api`` and ``pipelines``; it imports them inside the commands
so that ``skillstudio --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from skillstudio.db import database_url, libpq_url
from skillstudio.main.cli_certificates import certificates_app
from skillstudio.main.cli_events import events_app
from skillstudio.main.cli_import import import_app
from skillstudio.main.cli_learners import learners_app
from skillstudio.main.cli_models import models_app
from skillstudio.main.cli_notifications import notifications_app
from skillstudio.settings import Settings, get_settings

if TYPE_CHECKING:
    from app_api.demo import DemoAccount

app = typer.Typer(help="SkillStudio: adaptive learning platform.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(events_app, name="events")
app.add_typer(learners_app, name="learners")
app.add_typer(import_app, name="import")
app.add_typer(models_app, name="models")
app.add_typer(notifications_app, name="notifications")
app.add_typer(certificates_app, name="certificates")
console = Console(stderr=True)

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _migrate(settings: Settings) -> str:
    from app_api.migrate import upgrade

    with console.status("Starting PostgreSQL..."):
        url = database_url(settings)
    with console.status("Migrating the schema..."):
        upgrade(url)
    console.log("database ready")
    return url


@db_app.command("url")
def db_url() -> None:
    """Print the database URL (starting the embedded server if needed)."""
    typer.echo(libpq_url(database_url(get_settings())))


@app.command()
def migrate() -> None:
    """Apply the Alembic migrations."""
    _migrate(get_settings())


@app.command()
def generate(
    learners: Annotated[int, typer.Option(min=1, help="Number of learners.")] = 2000,
    courses: Annotated[int, typer.Option(min=1, help="Number of courses.")] = 100,
    days: Annotated[int, typer.Option(min=1, help="Days of history, ending on --end-date.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed: same seed and end date, same data.")] = 7,
    end_date: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of history (default today, UTC).")
    ] = None,
) -> None:
    """Write a synthetic learning history, and its hidden truth to the truth schema.

    Learners choose courses by hidden taste (mostly after their prerequisites), answer quiz questions
    with an ability that grows with practice, study in streaks and drop out more after failing. About 80
    events per learner over 90 days; 10 million events take a minute or two.
    """
    _generate(
        get_settings(),
        learners=learners,
        courses=courses,
        days=days,
        seed=seed,
        end_date=end_date.date() if end_date else datetime.now(UTC).date(),
    )


def _generate(
    settings: Settings, *, learners: int, courses: int, days: int, seed: int, end_date: date
) -> None:
    import psycopg
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from skillstudio.sources.synthetic import GenerationProgress, GeneratorConfig, generate

    url = _migrate(settings)
    config = GeneratorConfig(learners=learners, courses=courses, days=days, seed=seed, end_date=end_date)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[learners]:,} learners, {task.fields[events]:,} events written"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        # One step more than learners: indexes, other rows and the commit come after the last learner.
        task = bar.add_task("simulating learners", total=learners + 1, learners=0, events=0)

        def show(progress: GenerationProgress) -> None:
            bar.update(
                task,
                description=progress.stage,
                completed=progress.learners_done,
                learners=progress.learners_done,
                events=progress.events_written,
            )

        with psycopg.connect(libpq_url(url)) as conn:
            counts = generate(conn, config, progress=show)
            bar.update(task, description="committing")
        bar.update(task, description="done", completed=learners + 1)
    console.log(f"generated {counts}")
    typer.echo(json.dumps(counts.__dict__))


@app.command()
def materialize() -> None:
    """Run every Dagster asset in this process (dbt models, then model training)."""
    settings = get_settings()
    _migrate(settings)
    _materialize(settings)


def _materialize(settings: Settings) -> None:
    from dagster import DagsterInstance

    from pipelines.materialize import materialize_all
    from skillstudio.main.definitions import risk_interventions_for

    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    console.log("materializing every asset (dbt build, then course_recommender and skill_mastery)...")
    result = materialize_all(
        settings, instance=DagsterInstance.get(), risk_interventions=risk_interventions_for(settings)
    )
    for event in result.get_asset_materialization_events():
        if event.asset_key is not None:
            console.log(f"materialized {event.asset_key.to_user_string()}")
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            # Failed checks that block nothing do not fail the run; say so rather than stay silent.
            figures = {name: value.value for name, value in check.metadata.items()}
            console.log(
                f"check {check.check_name} on {check.asset_key.to_user_string()} failed "
                f"({check.severity.value.lower()}): {figures}",
                markup=False,
            )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the learning API and the recommendations."""
    settings = get_settings()
    _migrate(settings)
    _serve(settings, host or settings.host, port or settings.port)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from skillstudio.main.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _sample_learner(url: str) -> str | None:
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "select user_id from enrollments group by user_id order by count(*) desc, user_id limit 1"
        ).fetchone()
    return str(row[0]) if row else None


def _sample_request(base: str, account: DemoAccount, learner: str) -> list[str]:
    """Shell lines that log in as ``account`` and ask for ``learner``'s recommendations."""
    login = json.dumps({"email": account.email, "password": account.password})
    read_token = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"
    return [
        f"TOKEN=$(curl -s {base}/api/v1/auth/login -H 'content-type: application/json' "
        f"-d '{login}' | {read_token})",
        f'curl -s -H "Authorization: Bearer $TOKEN" '
        f"'{base}/api/v1/learners/{learner}/recommendations?k=10'",
    ]


@app.command()
def demo(
    learners: Annotated[int, typer.Option(min=1)] = 2000,
    courses: Annotated[int, typer.Option(min=1)] = 100,
    days: Annotated[int, typer.Option(min=1)] = 90,
    seed: Annotated[int, typer.Option()] = 7,
    oulad: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            file_okay=False,
            dir_okay=True,
            metavar="DIR",
            help="Load the OULAD data set from DIR instead of generating synthetic data.",
        ),
    ] = None,
) -> None:
    """Start everything: database, data (unless present), the whole pipeline, then serve.

    With --oulad DIR the data is the Open University Learning Analytics Dataset, imported every time:
    the import is idempotent, so a re-run only checks it (and completes an interrupted one).
    """
    import psycopg

    from skillstudio.main.cli_import import load_oulad
    from skillstudio.sources.synthetic import has_history

    settings = get_settings()
    url = _migrate(settings)
    with psycopg.connect(libpq_url(url)) as conn:
        present = has_history(conn)
    if oulad is not None:
        console.log(f"importing OULAD from {oulad}")
        console.print(f"imported {load_oulad(url, oulad)}", soft_wrap=True, markup=False)
    elif present:
        console.log("learning history already present; not generating (drop SKILLSTUDIO_HOME to start over)")
    else:
        _generate(
            settings,
            learners=learners,
            courses=courses,
            days=days,
            seed=seed,
            end_date=datetime.now(UTC).date(),
        )
    accounts = _seed_demo(settings)
    _materialize(settings)
    base = f"http://{settings.host}:{settings.port}"
    learner = _sample_learner(url)
    lines = [
        f"\n[bold green]SkillStudio is serving on {base}[/]",
        f"  Dashboards:  {base}/app   (sign in with a demo account below)",
        f"  API docs:    {base}/docs",
        "  Dagster UI:  skillstudio dagster   (http://127.0.0.1:3000)",
        "  MLflow UI:   skillstudio mlflow    (http://127.0.0.1:5000)",
        "  Demo accounts (sign in at /app, or POST /api/v1/auth/login then Authorize in /docs):",
        *(f"    {account.role:<11} {account.email}  password: {account.password}" for account in accounts),
    ]
    for line in lines:
        # soft_wrap: URLs must stay on one line to be clickable and copyable.
        console.print(line, soft_wrap=True)
    if learner:
        admin = next(account for account in accounts if account.role == "admin")
        console.print("  Sample request (as the demo admin; learners may read only their own):")
        for command in _sample_request(base, admin, learner):
            console.print(f"    {command}", soft_wrap=True, markup=False, highlight=False)
    console.print("  Press Ctrl-C to stop everything.\n")
    _serve(settings, settings.host, settings.port)


def _seed_demo(settings: Settings) -> list[DemoAccount]:
    """Demo accounts and a small catalogue with quizzes, so every route can be tried from /docs."""
    from app_api.demo import seed_demo
    from skillstudio.db import session_scope

    with console.status("Creating demo accounts and catalogue..."), session_scope(settings) as session:
        seeded = seed_demo(session, settings=settings)
    return [seeded.learner, seeded.instructor, seeded.admin]


def _run_ui(command: list[str], env: dict[str, str]) -> None:
    # A child started from a process that ignores SIGINT inherits that; reset it so Ctrl-C stops the UI.
    process = subprocess.Popen(
        command, env={**os.environ, **env}, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    try:
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        raise typer.Exit(process.wait()) from None


@app.command()
def dagster(port: Annotated[int, typer.Option()] = 3000) -> None:
    """Open the Dagster UI on the platform's definitions."""
    settings = get_settings()
    _migrate(settings)
    bin_dir = Path(sys.executable).parent
    _run_ui(
        [str(bin_dir / "dagster"), "dev", "-m", "skillstudio.main.definitions", "-a", "defs",
         "-h", "127.0.0.1", "-p", str(port)],
        {"DAGSTER_HOME": str(settings.dagster_home), "SKILLSTUDIO_HOME": str(settings.home_dir)},
    )  # fmt: skip


@app.command("analytics-docs")
def analytics_docs(
    port: Annotated[int, typer.Option(help="Port to serve the site on.")] = 8081,
    serve: Annotated[bool, typer.Option(help="Serve the site after generating it.")] = True,
) -> None:
    """Generate the dbt docs (models, columns, tests, lineage) from the marts' database and serve them."""
    from pipelines.defs.analytics.docs import DocsError, generate_docs

    settings = get_settings()
    _migrate(settings)
    with console.status("dbt docs generate..."):
        try:
            site = generate_docs(database_url(settings), settings.home_dir / "dbt")
        except DocsError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    console.print(f"dbt docs written to {site}")
    if serve:
        console.print(f"  serving on http://127.0.0.1:{port}  (Ctrl-C to stop)")
        _run_ui(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
            {},
        )


@app.command()
def mlflow(port: Annotated[int, typer.Option()] = 5000) -> None:
    """Open the MLflow UI on the tracking store."""
    settings = get_settings()
    bin_dir = Path(sys.executable).parent
    _run_ui(
        [str(bin_dir / "mlflow"), "ui", "--backend-store-uri", settings.tracking_uri,
         "--default-artifact-root", str(settings.mlflow_dir / "artifacts"), "--host", "127.0.0.1",
         "--port", str(port)],
        {},
    )  # fmt: skip


if __name__ == "__main__":
    app()
