"""Settings read from the environment (prefix ``SKILLSTUDIO_``), never from code edits."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    analytics_schema: str = Field(
        default="analytics",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="Schema dbt builds the marts into, in the same database; the analytics API reads it.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    max_event_batch: int = 5000
    recommender_name: str = "course_recommender"
    # Mastery online (issue 11 points 5-7): the registered knowledge tracer and the next-question targets.
    mastery_model_name: str = "skill_mastery"
    mastery_online: bool = Field(
        default=True, description="Update mastery with every answer (off: answers leave mastery alone)."
    )
    mastery_target_p_correct: float = Field(
        default=0.7, gt=0, lt=1, description="P(correct) the next adaptive question aims at."
    )
    mastery_struggling_target_p_correct: float = Field(
        default=0.85, gt=0, lt=1, description="The same while the learner struggles on the skill (easier)."
    )
    model_refresh_seconds: float = Field(
        default=30.0, description="How often serving checks whether the champion alias moved."
    )
    recommendation_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long serving reuses its snapshot of published titles and enrolments (0: never).",
    )
    # Live experiments (issue 13 point 5): a share of learners, chosen by a hash of their id, is served the
    # version behind the challenger alias instead of the champion.
    recommender_challenger_alias: str = Field(
        default="challenger",
        description="The registry alias of the recommender that gets a share of traffic.",
    )
    recommender_challenger_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of learners served the challenger (0: off). A learner is in the challenger arm "
        "when hash(salt, learner id) mod 10000 < share * 10000: the same arm on every request.",
    )
    recommender_experiment_salt: str = Field(
        default="recommender-experiment-1",
        description="Salt of the arm hash; a new salt reshuffles learners between arms (a new experiment).",
    )
    recommendation_log_flush_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Served lists wait in memory at most this long (or 500 lists) before being written as "
        "events, after a response; all are written at shutdown.",
    )
    jwt_secret: SecretStr | None = Field(
        default=None, description="Signs access tokens; unset means a random secret kept under home/secrets."
    )
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Login rate limits, counted in PostgreSQL so that every API replica sees the same attempts.
    login_window_seconds: int = Field(
        default=900, ge=1, description="Sliding window over which failed logins are counted."
    )
    login_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed logins for one email within the window before a 429."
    )
    login_max_failures_per_ip: int = Field(
        default=30, ge=1, description="Failed logins from one client IP within the window before a 429."
    )
    login_attempt_retention_days: int = Field(
        default=30, ge=1, description="How long login attempts and dead refresh-token families are kept."
    )
    # argon2id cost (RFC 9106's second recommended option by default); raising any of them rehashes each
    # password at its owner's next login.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    partition_months_ahead: int = Field(
        default=3, ge=1, description="Monthly learner_events partitions kept ready beyond the current month."
    )
    lake_path: Path | None = Field(
        default=None, description="Folder of the local lake; unset means home/lake. Ignored with a bucket."
    )
    lake_s3_bucket: str | None = Field(
        default=None, description="S3 bucket for the lake; unset means the local folder."
    )
    lake_s3_prefix: str = Field(default="lake", description="Key prefix of the lake inside the bucket.")
    lake_s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, Ceph...); unset means AWS."
    )
    lake_s3_region: str | None = None
    archive_older_than: str = Field(
        default="12mo", description="Months that ended longer ago than this go to the lake (12mo, 90d...)."
    )
    archive_schedule_running: bool = Field(
        default=True,
        description="Start the daily archive schedule switched on. Safe by default: incremental marts "
        "never refresh archived months, so their days keep their rows after the months leave the database.",
    )
    # Email of notifications: an outbox drained by ``skillstudio notifications send``.
    email_transport: Literal["folder", "smtp"] = Field(
        default="folder", description="folder: .eml files under home/outbox (the demo); smtp: smtp_host."
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    email_from: str = Field(default="SkillStudio <noreply@skillstudio.local>")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Where links in emails point (no trailing slash)."
    )
    # Object storage of produced files (certificates' PDFs): a folder by default, S3 with a bucket.
    object_storage_path: Path | None = Field(
        default=None, description="Folder of stored objects; unset means home/objects. Ignored with a bucket."
    )
    object_storage_s3_bucket: str | None = Field(
        default=None, description="S3 bucket for stored objects; unset means the local folder."
    )
    object_storage_s3_prefix: str = Field(default="objects", description="Key prefix inside the bucket.")
    object_storage_s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, Ceph...); unset means AWS."
    )
    object_storage_s3_region: str | None = None

    @property
    def home_dir(self) -> Path:
        path = self.home.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def lake_dir(self) -> Path:
        return (self.lake_path or self.home / "lake").expanduser().resolve()

    @property
    def object_storage_dir(self) -> Path:
        return (self.object_storage_path or self.home / "objects").expanduser().resolve()

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
