"""``skillstudio certificates ...``: the worker that draws certificates' PDFs outside requests."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console

from skillstudio.settings import get_settings

certificates_app = typer.Typer(help="Certificates: draw pending PDFs.", no_args_is_help=True)


@certificates_app.command("render")
def render(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep polling for new certificates until interrupted.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --loop.", min=0.1)] = 5.0,
    batch: Annotated[int, typer.Option(help="Certificates drawn per transaction.", min=1)] = 20,
) -> None:
    """Draw the PDFs of issued certificates that have none yet, into the configured object storage.

    Prints one JSON line per pass with the count drawn. Several workers may run at once: each claims its
    rows with ``skip locked``.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from app_api.certificates.service import render_pending
    from app_api.migrate import upgrade
    from skillstudio.db import database_url
    from skillstudio.object_storage import store_from_settings

    settings = get_settings()
    url = database_url(settings)
    upgrade(url)
    engine = create_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    store = store_from_settings(settings)
    console = Console(stderr=True)
    try:
        while True:
            drawn = 0
            while True:  # drain everything pending, a batch per transaction
                done = render_pending(factory, store=store, public_url=settings.public_url, batch=batch)
                drawn += done
                if done < batch:
                    break
            print(json.dumps({"rendered": drawn}), flush=True)
            if not loop:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        engine.dispose()
