"""``skillstudio notifications ...``: the email outbox worker."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console

from skillstudio.settings import get_settings

notifications_app = typer.Typer(help="Notifications: send queued email.", no_args_is_help=True)


@notifications_app.command("send")
def send(
    loop: Annotated[bool, typer.Option("--loop", help="Keep polling the outbox until interrupted.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --loop.", min=0.1)] = 5.0,
    batch: Annotated[int, typer.Option(help="Emails claimed per transaction.", min=1)] = 50,
) -> None:
    """Send the due queued emails through the configured transport (SKILLSTUDIO_EMAIL_TRANSPORT).

    Prints one JSON line per pass with the counts sent and failed; failed ones stay queued for a retry.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from app_api.migrate import upgrade
    from app_api.notifications.outbox import send_pending, transport_from
    from skillstudio.db import database_url

    settings = get_settings()
    url = database_url(settings)
    upgrade(url)
    engine = create_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    transport = transport_from(settings)
    console = Console(stderr=True)
    try:
        while True:
            counts = {"sent": 0, "failed": 0}
            while True:  # drain everything due, a batch per transaction
                done = send_pending(factory, transport=transport, sender=settings.email_from, batch=batch)
                counts = {key: counts[key] + done[key] for key in counts}
                if done["sent"] + done["failed"] < batch:
                    break
            print(json.dumps(counts), flush=True)
            if not loop:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        engine.dispose()
