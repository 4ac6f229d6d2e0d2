"""Resources chosen once from settings: the database, dbt and MLflow."""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg
from dagster import ConfigurableResource

from pipelines.defs.analytics.project import dbt_resource
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

    def read_row(self, query: str, params: tuple[Any, ...] | None = None) -> dict[str, Any]:
        """The first row of ``query`` by column name (plain Python values, for metadata)."""
        with psycopg.connect(libpq_url(self.url)) as conn, conn.cursor() as cursor:
            cursor.execute(query, params)
            columns = [column.name for column in cursor.description or []]
            return dict(zip(columns, cursor.fetchone() or [None] * len(columns), strict=True))


class MLflowResource(ConfigurableResource):
    """Where training runs are tracked and models registered."""

    tracking_uri: str


def build_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    url = database_url(settings)
    return {
        "postgres": PostgresResource(url=url),
        "dbt": dbt_resource(url, settings.home_dir / "dbt", schema=settings.analytics_schema),
        "mlflow": MLflowResource(tracking_uri=settings.tracking_uri),
    }
