"""``skillstudio import ...``: load real data sets (OULAD, course catalogues)."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Import real data: OULAD, course catalogues.", no_args_is_help=True)
