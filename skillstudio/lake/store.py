"""Where lake files are kept: a local folder (the embedded default) or an S3 bucket (production).

Both lay files out Hive-style, one per month, so DuckDB and polars discover ``year`` and ``month``::

    <root>/learner_events/year=2025/month=01/learner_events_2025_01.parquet

A file reaches its final name only whole: it is first put under ``learner_events/_staging/`` with a
``.tmp`` suffix (never matched by ``*.parquet`` globs), verified there, then renamed (local) or copied
server-side (S3) into place. Readers therefore see either the previous file or the new one, never a part.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from skillstudio.object_storage import s3_client_options
from skillstudio.settings import Settings

TABLE = "learner_events"
STAGING = f"{TABLE}/_staging"


def month_key(month: date) -> str:
    """The key of a month's file, relative to the lake root."""
    return f"{TABLE}/year={month:%Y}/month={month:%m}/{TABLE}_{month:%Y_%m}.parquet"


class LakeStore(Protocol):
    """A place that holds lake files under keys such as :func:`month_key`."""

    def uri(self, key: str) -> str:
        """Where a key lives, as a URI other tools understand (``file://…``, ``s3://…``)."""
        ...

    def glob(self) -> str:
        """A pattern matching every month file (for DuckDB / polars)."""
        ...

    def stage(self, local: Path, key: str) -> str:
        """Copy a local file to a staging key next to ``key``; returns the staging key."""
        ...

    def fetch(self, key: str, local: Path) -> bool:
        """Copy a stored file to ``local``; False when there is no such file."""
        ...

    def promote(self, staged: str, key: str) -> None:
        """Move a staged file into place atomically, replacing any file there."""
        ...

    def size(self, key: str) -> int | None:
        """The stored size in bytes, or None when missing."""
        ...

    def clear_staging(self) -> None:
        """Remove staged files left by an interrupted run (callers hold the lake lock)."""
        ...


class LocalLakeStore:
    """The lake in a folder (``SKILLSTUDIO_HOME/lake`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()

    def _path(self, key: str) -> Path:
        return self.root / key

    def uri(self, key: str) -> str:
        # Not Path.as_uri(): it would escape the Hive "=" that DuckDB and polars expect to read.
        return f"file://{self._path(key)}"

    def glob(self) -> str:
        return str(self.root / TABLE / "*" / "*" / "*.parquet")

    def stage(self, local: Path, key: str) -> str:
        staged = f"{STAGING}/{Path(key).stem}.{uuid.uuid4().hex}.parquet.tmp"
        target = self._path(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        with local.open("rb") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, length=8 << 20)
            sink.flush()
            os.fsync(sink.fileno())
        return staged

    def fetch(self, key: str, local: Path) -> bool:
        path = self._path(key)
        if not path.exists():
            return False
        shutil.copyfile(path, local)
        return True

    def promote(self, staged: str, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(staged), target)
        # The rename is durable only once its directory is flushed.
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.exists() else None

    def clear_staging(self) -> None:
        for leftover in self._path(STAGING).glob("*.tmp"):
            leftover.unlink(missing_ok=True)


class S3LakeStore:
    """The lake in an S3 bucket (any S3-compatible endpoint), through boto3."""

    def __init__(
        self, bucket: str, prefix: str = "", client: Any | None = None, **client_options: Any
    ) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", **client_options)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def glob(self) -> str:
        return self.uri(f"{TABLE}/*/*/*.parquet")

    def stage(self, local: Path, key: str) -> str:
        staged = f"{STAGING}/{Path(key).stem}.{uuid.uuid4().hex}.parquet.tmp"
        self.client.upload_file(str(local), self.bucket, self._key(staged))
        return staged

    def fetch(self, key: str, local: Path) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.download_file(self.bucket, self._key(key), str(local))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                return False
            raise
        return True

    def promote(self, staged: str, key: str) -> None:
        # S3 has no rename: a server-side copy makes the object appear whole, then the staged one goes.
        self.client.copy({"Bucket": self.bucket, "Key": self._key(staged)}, self.bucket, self._key(key))
        self.client.delete_object(Bucket=self.bucket, Key=self._key(staged))

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                return None
            raise
        return int(head["ContentLength"])

    def clear_staging(self) -> None:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(STAGING) + "/"):
            for item in page.get("Contents", []):
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])


def store_from_settings(settings: Settings) -> LakeStore:
    """S3 when a bucket is configured, else the folder under ``SKILLSTUDIO_HOME``."""
    if settings.lake_s3_bucket:
        options = s3_client_options(settings.lake_s3_endpoint_url, settings.lake_s3_region)
        return S3LakeStore(settings.lake_s3_bucket, settings.lake_s3_prefix, **options)
    return LocalLakeStore(settings.lake_dir)
