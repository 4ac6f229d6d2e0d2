"""The project-local PostgreSQL server, started from the ``pgserver`` package.

The server lives in ``SKILLSTUDIO_HOME/postgres`` and is reused by later runs. It listens on a Unix socket
only, so two checkouts on one machine never fight over a port. As root, pgserver runs the server as its own
``pgserver`` system user; the data folder is handed to that user.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

logger = logging.getLogger(__name__)

DATABASE_NAME = "skillstudio"


@dataclass
class EmbeddedPostgres:
    """A running embedded server and the URL of SkillStudio's database on it."""

    server: Any
    socket_dir: str

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"

    def stop(self) -> None:
        """Stop the server if this process is the last one using it."""
        self.server.cleanup()


_running: dict[Path, EmbeddedPostgres] = {}


def start(home: Path) -> EmbeddedPostgres:
    """Start (or attach to) the embedded server under ``home`` and make sure our database exists."""
    pgdata = (home / "postgres").resolve()
    if pgdata in _running:
        return _running[pgdata]
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, which is normal on servers and in CI.
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    embedded = EmbeddedPostgres(server=server, socket_dir=socket_dir)
    _create_database(embedded)
    _running[pgdata] = embedded
    logger.info("embedded PostgreSQL ready at %s", socket_dir)
    return embedded


def _create_database(embedded: EmbeddedPostgres, name: str = DATABASE_NAME) -> None:
    import psycopg

    with psycopg.connect(
        f"host={embedded.socket_dir} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'create database "{name}"')
