"""``skillstudio learners ...``: operations on one learner's data (erasure)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from skillstudio.settings import get_settings

learners_app = typer.Typer(help="Learners: right to erasure.", no_args_is_help=True)


@learners_app.command("erase")
def erase(
    learner_id: Annotated[str, typer.Argument(help="The learner's user id (UUID) or external id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Pseudonymise a learner everywhere (account, profile, events, lake, certificates); irreversible.

    Prints one JSON line with what was changed. Running it again for the same learner says so and
    changes nothing; an interrupted erasure is completed by running it again.
    """
    from app_api.migrate import upgrade
    from skillstudio.db import database_url, libpq_url
    from skillstudio.lake.archive import LakeError
    from skillstudio.lake.store import store_from_settings
    from skillstudio.object_storage import store_from_settings as objects_from_settings
    from skillstudio.privacy.erasure import erase_learner

    console = Console(stderr=True)
    settings = get_settings()
    if not yes:
        typer.confirm(
            f"Erase learner {learner_id}? Their personal data is removed and their events are relabelled "
            "for good",
            abort=True,
        )
    url = database_url(settings)
    upgrade(url)
    try:
        with console.status("erasing...") as status:
            report = erase_learner(
                libpq_url(url),
                store_from_settings(settings),
                learner_id,
                say=lambda step: status.update(step),
                objects=objects_from_settings(settings),
            )
    except LakeError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    colour = {"unknown": "yellow", "already_erased": "yellow"}.get(report.outcome, "green")
    console.print(f"[{colour}]{report.message}[/]")
    typer.echo(
        json.dumps(
            {
                "outcome": report.outcome,
                "live_events": report.live_events,
                "lake_events": report.lake_events,
                "lake_files": report.lake_files,
                "linked_rows": report.linked_rows,
                "profile_fields": report.profile_fields,
                "quarantined_statements": report.quarantined_statements,
            }
        )
    )
    if report.outcome == "unknown":
        raise typer.Exit(1)
