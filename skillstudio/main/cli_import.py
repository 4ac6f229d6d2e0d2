"""``skillstudio import ...``: load real data sets (OULAD, course catalogues).

Each command prints one JSON line on stdout with what it loaded; progress and errors go to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgressBar

from skillstudio.db import database_url, libpq_url
from skillstudio.settings import get_settings

import_app = typer.Typer(help="Import real data: OULAD, course catalogues.", no_args_is_help=True)
console = Console(stderr=True)


class RichProgress:
    """Draws an import's stages as rich progress bars, one line per stage (see ``importers.common``)."""

    def __init__(self, bar: RichProgressBar) -> None:
        self._bar = bar
        self._task: TaskID | None = None

    def start(self, description: str, total: float | None = None) -> None:
        if self._task is not None:
            task = self._bar.tasks[self._task]
            self._bar.update(self._task, total=task.completed or 1, completed=task.completed or 1)
        self._task = self._bar.add_task(description, total=total)

    def advance(self, amount: float = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, amount)


def _database_url() -> str:
    from app_api.migrate import upgrade

    with console.status("Starting PostgreSQL and migrating..."):
        url = database_url(get_settings())
        upgrade(url)
    return url


def load_oulad(url: str, directory: Path) -> str:
    """Import OULAD into the database at ``url`` with progress bars; return the summary's JSON line.

    Raises ``typer.Exit(2)`` with the reason printed when the folder is not in the OULAD format.
    """
    import psycopg

    from skillstudio.sources.oulad.files import OuladFormatError
    from skillstudio.sources.oulad.importer import import_oulad

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    try:
        with psycopg.connect(libpq_url(url)) as conn, RichProgressBar(*columns, console=console) as bar:
            summary = import_oulad(conn, directory, progress=RichProgress(bar))
    except OuladFormatError as error:
        console.print(f"[red]Cannot import this OULAD folder:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from error
    if not summary.click_file:
        console.print(
            f"[yellow]{directory / 'studentVle.csv'} is absent: no click events were loaded.[/]",
            soft_wrap=True,
        )
    for reason, count in summary.skipped.items():
        console.print(f"[yellow]not loaded:[/] {count:,} × {escape(reason)}", soft_wrap=True)
    return summary.to_json()


@import_app.command("oulad")
def oulad(
    directory: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, dir_okay=True, help="Folder with the OULAD CSVs (courses.csv, ...)."
        ),
    ],
) -> None:
    """Load the Open University Learning Analytics Dataset (the public download or a subset).

    Re-running it changes nothing; the JSON line reports what the data set holds once loaded.
    """
    typer.echo(load_oulad(_database_url(), directory))


@import_app.command("catalog")
def catalog(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=True,
            dir_okay=False,
            help="CSV: external_id,title,description,subject,"
            "level,skills,provider (skills separated by ';').",
        ),
    ],
) -> None:
    """Create or update courses and skills from a catalogue CSV (matched by external_id and skill slug).

    Malformed rows are reported with their line number and skipped; the others are loaded. Exits with
    status 1 when any row was rejected.
    """
    import psycopg

    from skillstudio.sources.catalog import CatalogFormatError, import_catalog

    url = _database_url()
    try:
        with psycopg.connect(libpq_url(url)) as conn:
            summary = import_catalog(conn, file)
    except CatalogFormatError as error:
        console.print(f"[red]Not a catalogue file:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(2) from error
    for reason in summary.errors:
        console.print(f"[red]rejected[/] {escape(str(file))}, {escape(reason)}", soft_wrap=True)
    typer.echo(summary.to_json())
    if summary.rejected:
        raise typer.Exit(1)
