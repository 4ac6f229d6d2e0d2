"""Object storage for files the platform produces (certificates' PDFs): a folder or an S3 bucket.

The embedded default is a folder under ``SKILLSTUDIO_HOME/objects``; setting ``object_storage_s3_bucket``
switches to S3 (any S3-compatible endpoint) through boto3, without code changes. Keys are relative,
slash-separated paths (``certificates/<id>.pdf``). A stored object appears whole or not at all: the folder
store writes a temporary file and renames it; S3's PUT is atomic by itself.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Protocol

from skillstudio.settings import Settings


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing any object there."""
        ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under ``key``; nothing happens when there is none."""
        ...

    def uri(self, key: str) -> str:
        """Where the key lives (``file://…``, ``s3://…``), for logs and operators."""
        ...


def _checked(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in {"", ".", ".."} for part in parts):
        raise ValueError(f"invalid object key {key!r}")
    return key


class LocalObjectStore:
    """Objects as files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        with temporary.open("wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, target)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.exists() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()


class S3ObjectStore:
    """Objects in an S3 bucket under ``prefix``."""

    def __init__(
        self, bucket: str, prefix: str = "", client: Any | None = None, **client_options: Any
    ) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or boto3.client("s3", **client_options)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{_checked(key)}" if self.prefix else _checked(key)

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                return None
            raise
        return bytes(response["Body"].read())

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # S3 answers 204 for a missing key

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def s3_client_options(endpoint_url: str | None, region: str | None) -> dict[str, str]:
    """boto3 client keywords for the settings that are set (the lake and object storage share them)."""
    return {name: value for name, value in (("endpoint_url", endpoint_url), ("region_name", region)) if value}


def store_from_settings(settings: Settings) -> ObjectStore:
    """S3 when a bucket is configured, else the folder (``object_storage_path`` or home/objects)."""
    if settings.object_storage_s3_bucket:
        return S3ObjectStore(
            settings.object_storage_s3_bucket,
            settings.object_storage_s3_prefix,
            **s3_client_options(settings.object_storage_s3_endpoint_url, settings.object_storage_s3_region),
        )
    return LocalObjectStore(settings.object_storage_dir)
