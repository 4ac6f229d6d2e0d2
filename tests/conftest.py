"""Shared fixtures: a real PostgreSQL (embedded unless SKILLSTUDIO_DATABASE_URL is set).

Each test session migrates one template database with Alembic. Tests that only need rows get a
transaction on a copy of it that is rolled back afterwards; tests that run dbt or Dagster (other processes
and connections) get a fresh database of their own, dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from filelock import FileLock
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Two xdist workers share two cores: OpenMP (scikit-learn's boosted trees) would start one thread per
# core in each.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from app_api.migrate import upgrade  # noqa: E402
from skillstudio.db import database_url, libpq_url  # noqa: E402
from skillstudio.events import GroupWriter  # noqa: E402
from skillstudio.settings import Settings  # noqa: E402

# Session fixtures used by more than one directory: registered once, so each is built once per run.
pytest_plugins = ["tests.warehouses", "tests.scheduling"]


@pytest.fixture(scope="session", autouse=True)
def _reactions_installed() -> None:
    """Tests that call services without an app still get the reactions every entry point installs."""
    from app_api.reactions import install_reactions

    install_reactions()


def _admin_url(url: str) -> str:
    return libpq_url(make_url(url).set(database="postgres").render_as_string(hide_password=False))


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of SkillStudio's database on the server under test (embedded by default).

    Under pytest-xdist (``make unit`` runs two workers) every worker attaches to the one embedded server;
    pgserver starts it once, and the lock keeps two workers from creating SkillStudio's database at once.
    Each worker's databases have names of their own (a random suffix), so they never meet.
    """
    settings = Settings()
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(settings.home_dir / ".test-server.lock"):
        return database_url(settings)


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    name = f"skillstudio_template_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = _with_database(server_url, name)
    upgrade(url)
    yield name
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def database_factory(server_url: str, template_database: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, migrated databases (copies of the template); all are dropped at session end."""
    created: list[str] = []

    def make() -> str:
        name = f"skillstudio_test_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
            conn.execute(f'create database "{name}" template "{template_database}"')
        created.append(name)
        return _with_database(server_url, name)

    yield make
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        for name in created:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def shared_database(database_factory: Callable[[], str]) -> str:
    return database_factory()


@pytest.fixture
def fresh_database(database_factory: Callable[[], str]) -> str:
    """A migrated database of the test's own, for work that must commit (dbt, Dagster, the CLI)."""
    return database_factory()


@dataclass(frozen=True)
class DbtDatabase:
    """A fresh migrated database for a dbt run, and the dbt profile folder that has its saved parse."""

    url: str
    profiles: Path


@pytest.fixture(scope="session")
def _dbt_database_name(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    name = f"skillstudio_dbt_{uuid.uuid4().hex[:8]}"
    yield name, tmp_path_factory.mktemp("dbt-database")
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def dbt_database(
    server_url: str, template_database: str, _dbt_database_name: tuple[str, Path]
) -> DbtDatabase:
    """A fresh migrated database for a test that runs dbt on data of its own, made again under one name for
    every such test of the session (worker): dbt's saved parse belongs to the profile, i.e. to the database's
    name and not to what it holds, so the first of these tests parses the project (~9 s of CPU) and the
    later ones read that parse, as every run on one production database does. One test at a time uses it."""
    name, workdir = _dbt_database_name
    with psycopg.connect(_admin_url(server_url), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}" template "{template_database}"')
    return DbtDatabase(url=_with_database(server_url, name), profiles=workdir / "profiles")


@pytest.fixture
def session(shared_database: str) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test, whatever the code commits."""
    engine = create_engine(shared_database)
    with engine.connect() as connection:
        transaction = connection.begin()
        db_session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield db_session
        finally:
            db_session.close()
            transaction.rollback()
    engine.dispose()


class _SavepointsOf:
    """Transactions for the app's group writer inside the test's: each is a savepoint of the test's session,
    so what the writer commits is rolled back with the test (and with any savepoint the test holds)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self._session.begin_nested():
            yield self._session


@pytest.fixture
def event_writer(session: Session) -> GroupWriter:
    """The app's group writer, writing in the test's transaction."""
    return GroupWriter(_SavepointsOf(session))


@pytest.fixture
def client(
    session: Session, event_writer: GroupWriter, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The real app, its requests running in the test's transaction."""
    from skillstudio.main.app import create_app
    from skillstudio.web.dependencies import get_session

    home = tmp_path_factory.mktemp("home")
    app = create_app(
        Settings(home=home, database_url=session.get_bind().engine.url.render_as_string(hide_password=False))
    )

    def _session() -> Iterator[Session]:
        yield session
        session.flush()

    app.dependency_overrides[get_session] = _session
    app.state.event_writer = event_writer
    app.state.serving_reads = _SavepointsOf(session).begin
    with TestClient(app) as test_client:
        yield test_client
