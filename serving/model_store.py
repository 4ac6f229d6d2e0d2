"""Keeps the registered champion in memory and follows the alias when it moves.

A request never waits for a reload when a model is already loaded: the first request after the refresh
interval checks the alias, and while it loads a new version every other request keeps the old one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from models.recommender.model import CourseRecommender
from models.recommender.registry import champion_version, load_champion


class NoChampionError(LookupError):
    """No model version carries the champion alias yet."""


@dataclass(frozen=True)
class LoadedModel:
    recommender: CourseRecommender
    version: str


class ModelStore:
    def __init__(self, *, tracking_uri: str, registry_name: str, refresh_seconds: float = 30.0) -> None:
        self.tracking_uri = tracking_uri
        self.registry_name = registry_name
        self.refresh_seconds = refresh_seconds
        self._loaded: LoadedModel | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def fresh(self) -> LoadedModel | None:
        """The loaded model when the alias was checked within the refresh interval; never blocks."""
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
            return loaded
        return None

    def get(self) -> LoadedModel:
        """The champion, checking the alias (MLflow, blocking) when the refresh interval has passed."""
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
            return loaded
        if not self._lock.acquire(blocking=loaded is None):
            assert loaded is not None
            return loaded  # another request is checking the alias; serve what we have
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> LoadedModel:
        version = champion_version(tracking_uri=self.tracking_uri, registry_name=self.registry_name)
        self._checked_at = time.monotonic()
        if version is None:
            if self._loaded is not None:
                return self._loaded
            raise NoChampionError(f"no version of {self.registry_name!r} is the champion yet")
        if self._loaded is None or self._loaded.version != version:
            recommender, loaded_version = load_champion(
                tracking_uri=self.tracking_uri, registry_name=self.registry_name
            )
            self._loaded = LoadedModel(recommender=recommender, version=loaded_version)
        return self._loaded

    def close(self) -> None:
        self._loaded = None
