"""The scratch site the in-process route benchmarks share: a fresh, migrated database seeded with the demo
data, one app and one FastAPI TestClient (no network), dropped again at the end."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app_api.demo import DemoAccounts, seed_demo
from app_api.migrate import upgrade
from skillstudio.db import database_url, libpq_url
from skillstudio.main.app import create_app
from skillstudio.settings import Settings


@dataclass(frozen=True)
class DemoSite:
    client: TestClient
    demo: DemoAccounts
    settings: Settings
    url: str


@contextmanager
def demo_site() -> Iterator[DemoSite]:
    """A demo-seeded app on a scratch database of the configured server; the database is dropped after."""
    server = database_url()
    name = f"skillstudio_bench_{uuid.uuid4().hex[:8]}"
    admin_url = libpq_url(make_url(server).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(home=Path(home), database_url=url)
            engine = create_engine(url)
            with Session(engine) as session:
                demo = seed_demo(session, settings=settings)
                session.commit()
            engine.dispose()
            with TestClient(create_app(settings)) as client:
                yield DemoSite(client=client, demo=demo, settings=settings, url=url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank, no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
