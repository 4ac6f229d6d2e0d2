"""The lake as a Dagster resource, chosen from settings like every other service."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from skillstudio.lake.store import LakeStore, LocalLakeStore, S3LakeStore
from skillstudio.settings import Settings


class EventLakeResource(ConfigurableResource):
    """Where archived months go (a folder, or an S3 bucket when ``s3_bucket`` is set) and the policy."""

    local_path: str
    s3_bucket: str | None = None
    s3_prefix: str = "lake"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    archive_older_than: str = "12mo"
    partition_months_ahead: int = 3

    def store(self) -> LakeStore:
        if self.s3_bucket:
            options = {"endpoint_url": self.s3_endpoint_url, "region_name": self.s3_region}
            return S3LakeStore(
                self.s3_bucket, self.s3_prefix, **{key: value for key, value in options.items() if value}
            )
        return LocalLakeStore(Path(self.local_path))

    @classmethod
    def from_settings(cls, settings: Settings) -> EventLakeResource:
        return cls(
            local_path=str(settings.lake_dir),
            s3_bucket=settings.lake_s3_bucket,
            s3_prefix=settings.lake_s3_prefix,
            s3_endpoint_url=settings.lake_s3_endpoint_url,
            s3_region=settings.lake_s3_region,
            archive_older_than=settings.archive_older_than,
            partition_months_ahead=settings.partition_months_ahead,
        )
