"""``skillstudio events ...``: the event store's partitions, quarantine and lake."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from skillstudio.settings import Settings, get_settings

if TYPE_CHECKING:
    from skillstudio.lake.archive import Progress

events_app = typer.Typer(
    help="Learner events: partitions, quarantine, archive to the lake.", no_args_is_help=True
)


def _consoles() -> tuple[Console, Console]:
    """(messages on stderr, results on stdout), made per command so that COLUMNS is read at run time."""
    return Console(stderr=True), Console()


def _database(settings: Settings) -> str:
    """The libpq URL of a migrated database (starting the embedded server when none is configured)."""
    from app_api.migrate import upgrade
    from skillstudio.db import database_url, libpq_url

    url = database_url(settings)
    upgrade(url)
    return libpq_url(url)


@events_app.command("partitions")
def partitions(
    ahead: Annotated[
        int | None,
        typer.Option(min=0, help="Months to prepare beyond the current one (default from settings, 3)."),
    ] = None,
) -> None:
    """Create the monthly partitions ahead, then list every partition with its rows and the lake's months."""
    import psycopg

    from skillstudio.events.partitions import attached_months, ensure_months_ahead, list_partitions
    from skillstudio.lake.manifest import manifest

    _, out = _consoles()
    settings = get_settings()
    months_ahead = settings.partition_months_ahead if ahead is None else ahead
    with psycopg.connect(_database(settings), autocommit=True) as conn:
        before = set(attached_months(conn))
        with conn.transaction():
            ensure_months_ahead(conn, months_ahead)
        infos = list_partitions(conn)
        archived = manifest(conn)
    table = Table("partition", "month", "rows", "note", title="learner_events partitions")
    for info in infos:
        note = "created now" if info.month and info.month not in before else ""
        if info.month is None and info.rows:
            note = "events of months without a partition; moved when their month's partition is created"
        table.add_row(info.name, f"{info.month:%Y-%m}" if info.month else "default", f"{info.rows:,}", note)
    out.print(table)
    if archived:
        lake = Table("month", "rows", title="archived to the lake")
        lake.add_column("file", overflow="fold")
        for entry in archived.values():
            lake.add_row(f"{entry.month:%Y-%m}", f"{entry.row_count:,}", entry.uri)
        out.print(lake)


def _rich_progress(bar: RichProgress) -> Progress:
    """A lake progress that shows each month's export as a bar of rows."""
    from skillstudio.lake.archive import MonthResult, Progress

    task = bar.add_task("", total=None, visible=False)

    class Bar(Progress):
        def month_started(self, month: date, rows: int) -> None:
            bar.update(task, description=f"{month:%Y-%m}", total=rows, completed=0, visible=True)

        def rows_written(self, rows: int) -> None:
            bar.advance(task, rows)

        def month_finished(self, result: MonthResult) -> None:
            bar.update(task, completed=result.rows)
            bar.console.log(f"{result.month:%Y-%m}: {result.action}, {result.rows:,} rows")

    return Bar()


@events_app.command("archive")
def archive(
    older_than: Annotated[
        str | None,
        typer.Option(
            help="Archive months that ended longer ago than this: 12mo, 1y, 6w, 90d (default 12mo)."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Only list the months that would be archived.")] = False,
) -> None:
    """Move closed months of events to the Parquet lake, verified, then drop their partitions."""
    import psycopg

    from skillstudio.events.partitions import closed_before, list_partitions, months_in_default, parse_age
    from skillstudio.lake.archive import LakeError, archive_closed_months
    from skillstudio.lake.store import store_from_settings

    console, out = _consoles()
    settings = get_settings()
    try:
        age = parse_age(older_than or settings.archive_older_than)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--older-than") from None
    before = closed_before(age.cutoff(datetime.now(UTC)))
    url = _database(settings)
    store = store_from_settings(settings)
    if dry_run:
        with psycopg.connect(url) as conn:
            months = {
                info.month: info.rows for info in list_partitions(conn) if info.month and info.month < before
            }
            for month, rows in months_in_default(conn, before):
                months[month] = months.get(month, 0) + rows
        console.print(f"months before {before:%Y-%m} would go to {store.glob()}")
        table = Table("month", "rows", title="would be archived")
        for month, rows in sorted(months.items()):
            table.add_row(f"{month:%Y-%m}", f"{rows:,}")
        out.print(table)
        return
    console.log(f"archiving months before {before:%Y-%m} to {store.glob()}")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with RichProgress(*columns, TimeElapsedColumn(), console=console) as bar:
            results = archive_closed_months(url, store, before=before, progress=_rich_progress(bar))
    except LakeError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    table = Table("month", "action", "rows", title="archive")
    table.add_column("file", overflow="fold")
    for result in results:
        table.add_row(f"{result.month:%Y-%m}", result.action, f"{result.rows:,}", result.uri or "")
    out.print(table if results else f"nothing to archive before {before:%Y-%m}")
    if any(result.action == "busy" for result in results):
        console.print("[yellow]some months stayed live because learner_events was busy; run this again[/]")
        raise typer.Exit(1)
