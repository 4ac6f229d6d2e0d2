"""Alembic environment: the URL comes from the caller (``app_api.migrate``), never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from app_api.database import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "app_api.migrate sets sqlalchemy.url"

connectable = create_engine(url, poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
