"""``skillstudio events ...``: the event store's partitions, quarantine and lake."""

from __future__ import annotations

import typer

events_app = typer.Typer(
    help="Learner events: partitions, quarantine, archive to the lake.", no_args_is_help=True
)
