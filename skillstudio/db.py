"""Database engine and sessions: the embedded server unless ``SKILLSTUDIO_DATABASE_URL`` is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from skillstudio import embedded_pg
from skillstudio.settings import Settings, get_settings


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver whatever scheme the user wrote (``postgres://``, ``postgresql://``...)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def database_url(settings: Settings | None = None) -> str:
    """The SQLAlchemy URL of SkillStudio's database, starting the embedded server when none is configured."""
    settings = settings or get_settings()
    if settings.database_url:
        return normalize_url(settings.database_url)
    return embedded_pg.start(settings.home_dir).url()


def libpq_url(url: str) -> str:
    """The same URL without the SQLAlchemy driver suffix, for psycopg, dbt and command-line tools."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine(settings: Settings | None = None) -> Engine:
    return engine_for(database_url(settings))


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits once at the end, or rolls back on error."""
    session = _session_factory(database_url(settings))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def driver_connection(session: Session) -> psycopg.Connection:
    """The psycopg connection under a session's current transaction, for COPY."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return raw
