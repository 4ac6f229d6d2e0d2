"""Keeps the registered champion in memory and follows the alias when it moves.

A request never waits for a reload when a model is already loaded: the first request after the refresh
interval checks the alias, and while it loads a new version every other request keeps the old one.
One store follows one alias: the champion, or an experiment's challenger (serving/experiments.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from models.recommender.model import CourseRecommender
from models.recommender.registry import champion_version, load_champion

logger = logging.getLogger(__name__)


class NoChampionError(LookupError):
    """No model version carries the store's alias (the champion, or the challenger) yet."""


@dataclass(frozen=True)
class LoadedModel:
    recommender: CourseRecommender
    version: str


class ModelStore:
    def __init__(
        self,
        *,
        tracking_uri: str,
        registry_name: str,
        refresh_seconds: float = 30.0,
        alias: str = "champion",
        keep_last: bool = True,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.registry_name = registry_name
        self.refresh_seconds = refresh_seconds
        self.alias = alias
        # The champion keeps serving its last version if its alias is removed; a challenger whose alias
        # is removed stops (its learners get the champion).
        self.keep_last = keep_last
        self._loaded: LoadedModel | None = None
        self._checked_at = float("-inf")
        # When the last check found no version behind the alias (and none was loaded): -inf otherwise.
        self._missing_at = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> LoadedModel | None:
        """The loaded model, if any; when the alias is due for a check, the check starts in a thread.

        Never blocks, so the event loop may call it: requests keep the loaded model while MLflow is asked
        (and while a new version loads), so a moving alias never fails or stalls a request.
        """
        loaded = self._loaded
        due = loaded is not None and time.monotonic() - self._checked_at >= self.refresh_seconds
        if due and not self._lock.locked():
            threading.Thread(target=self._check_in_background, daemon=True, name="model-alias").start()
        return loaded

    def absent(self) -> bool:
        """Whether the last check, within the refresh interval, found no version behind the alias; never
        blocks. Past the interval it says False (unknown) so the caller checks again; while within it, a
        missing challenger costs no MLflow call per request."""
        return (
            self._loaded is None
            and self._missing_at >= self._checked_at
            and time.monotonic() - self._missing_at < self.refresh_seconds
        )

    def _check_in_background(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._refresh()
        except Exception:  # MLflow unreachable: keep serving the loaded model, try again at the next check
            self._checked_at = time.monotonic()
            logger.exception("could not check the %s champion alias", self.registry_name)
        finally:
            self._lock.release()

    def get(self) -> LoadedModel:
        """The champion, checking the alias (MLflow, blocking) when the refresh interval has passed."""
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked_at < self.refresh_seconds:
            return loaded
        if loaded is None and self.absent():
            raise NoChampionError(f"no version of {self.registry_name!r} is the {self.alias} yet")
        if not self._lock.acquire(blocking=loaded is None):
            assert loaded is not None
            return loaded  # another request is checking the alias; serve what we have
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> LoadedModel:
        version = champion_version(
            tracking_uri=self.tracking_uri, registry_name=self.registry_name, alias=self.alias
        )
        self._checked_at = time.monotonic()
        if version is None:
            if self._loaded is not None and self.keep_last:
                return self._loaded
            self._loaded = None
            self._missing_at = self._checked_at
            raise NoChampionError(f"no version of {self.registry_name!r} is the {self.alias} yet")
        if self._loaded is None or self._loaded.version != version:
            recommender, loaded_version = load_champion(
                tracking_uri=self.tracking_uri, registry_name=self.registry_name, alias=self.alias
            )
            self._loaded = LoadedModel(recommender=recommender, version=loaded_version)
        return self._loaded

    def close(self) -> None:
        self._loaded = None
