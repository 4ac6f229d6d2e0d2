"""``skillstudio learners ...``: operations on one learner's data (erasure)."""

from __future__ import annotations

import typer

learners_app = typer.Typer(help="Learners: right to erasure.", no_args_is_help=True)
