"""What the recommendations route needs from the database, held in memory, so a request never waits on it.

The issue measured the route at 0.15 of a bare FastAPI route: every request read every published course's
title and the learner's enrolments (several round trips in a worker thread), then validated the page with
pydantic. Here a snapshot of the published titles and of every learner's enrolled courses is read with two
queries, and re-read every ``ttl_seconds`` in a worker thread while requests keep answering from the
previous one (only the very first request of a process waits for it). Encoded pages are kept per
(learner, k, model version) and re-ranked when the catalogue or the learner's enrolments in a new snapshot
differ from those they were ranked with, so a new champion or a new snapshot is served at once.

The price, documented in the route: a course the learner enrolled in, or one unpublished, within the last
``ttl_seconds`` may still be offered. Each process keeps its own snapshot (nothing assumes one process).
A snapshot holds one short string per enrolment: fine to a few million enrolments; past that, refresh it
incrementally by ``enrolled_at``. ``ttl_seconds = 0`` reads the database on every request.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from serving.model_store import LoadedModel
from serving.schemas import RecommendationPage, RecommendedCourse

# Sessions that read: the app's sessionmaker, or (in tests) savepoints of the test's transaction.
Reads = Callable[[], AbstractContextManager[Session]]
_NONE: frozenset[str] = frozenset()
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    titles: dict[str, str]
    enrolled: dict[uuid.UUID, frozenset[str]]
    loaded_at: float
    generation: int


def read_snapshot(reads: Reads, generation: int, learner_id: uuid.UUID | None = None) -> Snapshot:
    """Published titles and enrolments: everyone's, or only ``learner_id``'s (when caching is off)."""
    with reads() as session:
        titles = {
            str(course_id): str(title)
            for course_id, title in session.execute(
                text("select course_id, title from courses where status = 'published'")
            )
        }
        enrolled: defaultdict[uuid.UUID, set[str]] = defaultdict(set)
        rows = (
            session.execute(text("select user_id, course_id from enrollments"))
            if learner_id is None
            else session.execute(
                text("select user_id, course_id from enrollments where user_id = :learner_id"),
                {"learner_id": learner_id},
            )
        )
        for user_id, course_id in rows:
            enrolled[uuid.UUID(str(user_id))].add(str(course_id))
    return Snapshot(
        titles, {user: frozenset(courses) for user, courses in enrolled.items()}, time.monotonic(), generation
    )


class RecommendationCache:
    """The snapshot, and encoded pages per (learner, k, model version) with what they were ranked from."""

    def __init__(self, *, ttl_seconds: float, max_pages: int = 100_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_pages = max_pages
        # Per (learner, k, model version): the titles and enrolments the page was ranked with, and its JSON.
        self._pages: dict[tuple[uuid.UUID, int, str], tuple[dict[str, str], frozenset[str], bytes]] = {}
        self._snapshot: Snapshot | None = None
        self._refreshing = threading.Lock()

    def snapshot(self) -> Snapshot | None:
        """The current snapshot when there is one that may be served; never blocks."""
        snapshot = self._snapshot
        if snapshot is None or self.ttl_seconds <= 0:
            return None
        return snapshot

    def is_stale(self) -> bool:
        snapshot = self._snapshot
        return snapshot is None or time.monotonic() - snapshot.loaded_at >= self.ttl_seconds

    def refresh(self, reads: Reads, learner_id: uuid.UUID | None = None) -> Snapshot:
        """Re-read the snapshot (blocking); concurrent callers wait for one reader and share its result.

        With caching off, only ``learner_id``'s enrolments are read and nothing is kept.
        """
        if self.ttl_seconds <= 0:
            return read_snapshot(reads, 0, learner_id)
        seen = self._snapshot
        with self._refreshing:
            if self._snapshot is not seen and not self.is_stale():
                assert self._snapshot is not None
                return self._snapshot
            generation = 0 if seen is None else seen.generation + 1
            snapshot = read_snapshot(reads, generation)
            if seen is not None and snapshot.titles == seen.titles:
                # Same catalogue: keep the old dict, whose identity tells pages they are still valid.
                snapshot = Snapshot(seen.titles, snapshot.enrolled, snapshot.loaded_at, generation)
            if self.ttl_seconds > 0:
                self._snapshot = snapshot
            return snapshot

    def refresh_in_background(self, reads: Reads) -> None:
        """Start a refresh unless one is running; requests meanwhile answer from the current snapshot."""
        if self._refreshing.locked():
            return
        threading.Thread(
            target=self._refresh_logged, args=(reads,), daemon=True, name="serving-snapshot"
        ).start()

    def _refresh_logged(self, reads: Reads) -> None:
        try:
            self.refresh(reads)
        except Exception:  # a failed refresh keeps the previous snapshot; the next request tries again
            logger.exception("could not refresh the recommendations snapshot")

    def page(
        self, *, snapshot: Snapshot, model: LoadedModel, model_name: str, learner_id: uuid.UUID, k: int
    ) -> bytes:
        """The encoded page for the learner, from the cache or ranked now (CPU only, no IO)."""
        key = (learner_id, k, model.version)
        enrolled = snapshot.enrolled.get(learner_id, _NONE)
        page = self._pages.get(key)
        # Still valid when neither the catalogue nor this learner's enrolments changed since it was ranked.
        if page is not None and page[0] is snapshot.titles and page[1] == enrolled:
            return page[2]
        recommender = model.recommender
        unavailable = enrolled | (set(recommender.course_ids.tolist()) - snapshot.titles.keys())
        ranked, fallback = recommender.recommend(str(learner_id), exclude=unavailable, k=k)
        body = (
            RecommendationPage(
                learner_id=learner_id,
                model_name=model_name,
                model_version=model.version,
                fallback=fallback,
                items=[
                    RecommendedCourse(
                        course_id=uuid.UUID(course_id),
                        title=snapshot.titles[course_id],
                        score=score,
                        rank=rank,
                    )
                    for rank, (course_id, score) in enumerate(ranked, start=1)
                ],
            )
            .model_dump_json()
            .encode()
        )
        if self.ttl_seconds > 0 and self._snapshot is snapshot:
            if len(self._pages) >= self.max_pages:
                self._pages = {}  # a full cache is rare (max_pages learners within one snapshot): start over
            self._pages[key] = (snapshot.titles, enrolled, body)
        return body
