"""Settings read from the environment (prefix ``SKILLSTUDIO_``), never from code edits."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where SkillStudio keeps its state and which services it talks to.

    Every service has an embedded default under ``home``; setting the matching variable switches to a
    production service without touching code.
    """

    model_config = SettingsConfigDict(env_prefix="SKILLSTUDIO_", env_file=None, extra="ignore")

    home: Path = Field(default=Path(".skillstudio"), description="Folder for all embedded state.")
    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset means the embedded server under home/postgres."
    )
    mlflow_tracking_uri: str | None = Field(
        default=None, description="MLflow tracking URI; unset means SQLite + artifacts under home/mlflow."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    max_event_batch: int = 5000
    recommender_name: str = "course_recommender"
    model_refresh_seconds: float = Field(
        default=30.0, description="How often serving checks whether the champion alias moved."
    )
    jwt_secret: SecretStr | None = Field(
        default=None, description="Signs access tokens; unset means a random secret kept under home/secrets."
    )
    access_token_minutes: int = 15
    refresh_token_days: int = 30

    @property
    def home_dir(self) -> Path:
        path = self.home.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def mlflow_dir(self) -> Path:
        path = self.home_dir / "mlflow"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    def signing_secret(self) -> str:
        """The JWT secret: configured, or generated once and kept so restarts keep sessions valid."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        path = self.home_dir / "secrets" / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(mode=0o700, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def dagster_home(self) -> Path:
        path = self.home_dir / "dagster"
        path.mkdir(parents=True, exist_ok=True)
        return path


@lru_cache
def get_settings() -> Settings:
    return Settings()
