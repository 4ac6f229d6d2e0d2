"""Resources chosen once from settings: the database, dbt and MLflow."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import psycopg
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from pipelines.defs.analytics.project import DBT_PROJECT_DIR, write_profiles
from skillstudio.db import database_url, libpq_url
from skillstudio.settings import Settings


class PostgresResource(ConfigurableResource):
    """SkillStudio's PostgreSQL database (SQLAlchemy URL)."""

    url: str

    def read_frame(self, query: str) -> pd.DataFrame:
        with psycopg.connect(libpq_url(self.url)) as conn, conn.cursor() as cursor:
            cursor.execute(query)
            columns = [column.name for column in cursor.description or []]
            return pd.DataFrame(cursor.fetchall(), columns=columns)


class MLflowResource(ConfigurableResource):
    """Where training runs are tracked and models registered."""

    tracking_uri: str


def build_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    url = database_url(settings)
    profiles_dir = write_profiles(url, settings.home_dir / "dbt")
    return {
        "postgres": PostgresResource(url=url),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(profiles_dir),
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
        "mlflow": MLflowResource(tracking_uri=settings.tracking_uri),
    }
