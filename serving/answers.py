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
from typing import Any, cast

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from models.recommender.hybrid import Catalog, Gap, HybridRanker, Weights
from serving.model_store import LoadedModel
from serving.schemas import Reason, RecommendationPage, RecommendedCourse, Variant

# Sessions that read: the app's sessionmaker, or (in tests) savepoints of the test's transaction.
Reads = Callable[[], AbstractContextManager[Session]]
_NONE: frozenset[str] = frozenset()
_NO_GAPS: dict[str, Gap] = {}
logger = logging.getLogger(__name__)

_COURSES = (
    "select course_id::text, title, subject, level from courses where status = 'published' order by course_id"
)
_COURSE_SKILLS = (
    "select cs.course_id::text, cs.skill_id::text, s.name from course_skills cs "
    "join skills s on s.skill_id = cs.skill_id join courses c on c.course_id = cs.course_id "
    "where c.status = 'published' order by cs.course_id, s.name"
)
# Each active goal's skills against the learner's profile level (1, the bottom, when unmeasured: as
# goals.service computes the gap); a skill in two goals counts with its highest target.
_GAPS = (
    "select g.user_id, gs.skill_id::text, max(gs.target_level), coalesce(max(l.level), 1) "
    "from learning_goals g join learning_goal_skills gs on gs.goal_id = g.goal_id "
    "left join learner_skill_levels l on l.user_id = g.user_id and l.skill_id = gs.skill_id "
    "where g.status = 'active' {learner} group by g.user_id, gs.skill_id"
)


@dataclass(frozen=True)
class Snapshot:
    titles: dict[str, str]
    enrolled: dict[uuid.UUID, frozenset[str]]
    loaded_at: float
    generation: int
    catalog: Catalog | None = None
    completed: dict[uuid.UUID, frozenset[str]] | None = None
    gaps: dict[uuid.UUID, dict[str, Gap]] | None = None


def read_snapshot(reads: Reads, generation: int, learner_id: uuid.UUID | None = None) -> Snapshot:
    """The published catalogue with its skills, and enrolments and goal gaps: everyone's, or only
    ``learner_id``'s (when caching is off)."""
    only = {} if learner_id is None else {"learner_id": learner_id}
    with reads() as session:
        courses = pd.DataFrame(
            session.execute(text(_COURSES)).all(), columns=["course_id", "title", "subject", "level"]
        )
        course_skills = pd.DataFrame(
            session.execute(text(_COURSE_SKILLS)).all(), columns=["course_id", "skill_id", "skill_name"]
        )
        enrolled: defaultdict[uuid.UUID, set[str]] = defaultdict(set)
        completed: defaultdict[uuid.UUID, set[str]] = defaultdict(set)
        where = "" if learner_id is None else " where user_id = :learner_id"
        enrolments: list[tuple[uuid.UUID, uuid.UUID, str]] = cast(
            Any,
            session.execute(text(f"select user_id, course_id, status from enrollments{where}"), only).all(),
        )
        for user_id, course_id, status in enrolments:
            enrolled[user_id].add(str(course_id))
            if status == "completed":
                completed[user_id].add(str(course_id))
        gaps: defaultdict[uuid.UUID, dict[str, Gap]] = defaultdict(dict)
        learner = "" if learner_id is None else "and g.user_id = :learner_id"
        goal_skills: list[tuple[uuid.UUID, str, float, float]] = cast(
            Any, session.execute(text(_GAPS.format(learner=learner)), only).all()
        )
        for user_id, skill_id, target, current in goal_skills:
            gaps[user_id][skill_id] = Gap(current=float(current), target=float(target))
    catalog = Catalog.from_frames(courses, course_skills)
    return Snapshot(
        titles=dict(catalog.titles or {}),
        enrolled={user: frozenset(courses) for user, courses in enrolled.items()},
        loaded_at=time.monotonic(),
        generation=generation,
        catalog=catalog,
        completed={user: frozenset(courses) for user, courses in completed.items()},
        gaps=dict(gaps),
    )


class RecommendationCache:
    """The snapshot, the hybrid ranker built on it, and encoded pages per (learner, k, model version) with
    what they were ranked from."""

    def __init__(self, *, ttl_seconds: float, max_pages: int = 100_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_pages = max_pages
        # Per (learner, k, model version, variant): the titles, enrolments and gaps the page was ranked
        # with, its JSON and its course ids.
        self._pages: dict[
            tuple[uuid.UUID, int, str, str],
            tuple[dict[str, str], frozenset[str], dict[str, Gap], bytes, tuple[str, ...]],
        ] = {}
        self._snapshot: Snapshot | None = None
        self._refreshing = threading.Lock()
        # The ranker of the latest (model, catalogue) pair: content vectors are built once per pair.
        self._ranker: tuple[object, object, HybridRanker] | None = None

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
            if seen is not None and snapshot.catalog == seen.catalog:
                # Same catalogue: keep the old objects, whose identity tells pages they are still valid.
                snapshot = Snapshot(
                    seen.titles,
                    snapshot.enrolled,
                    snapshot.loaded_at,
                    generation,
                    seen.catalog,
                    snapshot.completed,
                    snapshot.gaps,
                )
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

    def ranker(self, snapshot: Snapshot, model: LoadedModel) -> HybridRanker:
        """The hybrid over this snapshot's catalogue, blended with the model's weights (CPU only, no IO)."""
        held = self._ranker
        if held is not None and held[0] is model.recommender and held[1] is snapshot.catalog:
            return held[2]
        recommender = model.recommender
        weights = Weights() if recommender.blend is None else Weights.from_array(recommender.blend.tolist())
        catalog = snapshot.catalog or Catalog(course_ids=[], subjects=[], levels=[], skills=[])
        ranker = HybridRanker(recommender, catalog, weights)
        self._ranker = (recommender, snapshot.catalog, ranker)
        return ranker

    def served_page(
        self,
        *,
        snapshot: Snapshot,
        model: LoadedModel,
        model_name: str,
        learner_id: uuid.UUID,
        k: int,
        variant: Variant = "champion",
    ) -> tuple[bytes, tuple[str, ...]]:
        """The encoded page and its course ids in order (what the served-list event logs)."""
        key = (learner_id, k, model.version, variant)
        enrolled = snapshot.enrolled.get(learner_id, _NONE)
        gaps = (snapshot.gaps or {}).get(learner_id, _NO_GAPS)
        page = self._pages.get(key)
        # Still valid when neither the catalogue nor this learner's enrolments or gaps changed since then.
        if page is not None and page[0] is snapshot.titles and page[1] == enrolled and page[2] == gaps:
            return page[3], page[4]
        explained = self.ranker(snapshot, model).explain(
            str(learner_id),
            enrolled,
            completed=(snapshot.completed or {}).get(learner_id, _NONE),
            gaps=gaps,
            k=k,
        )
        fallback = model.recommender.row_of(str(learner_id)) is None and not enrolled and not gaps
        body = (
            RecommendationPage(
                learner_id=learner_id,
                model_name=model_name,
                model_version=model.version,
                variant=variant,
                fallback=fallback,
                items=[
                    RecommendedCourse(
                        course_id=uuid.UUID(item.course_id),
                        title=snapshot.titles[item.course_id],
                        score=item.score,
                        rank=rank,
                        reasons=[Reason(signal=signal, text=text) for signal, text in item.reasons],
                    )
                    for rank, item in enumerate(explained, start=1)
                ],
            )
            .model_dump_json()
            .encode()
        )
        items = tuple(item.course_id for item in explained)
        if self.ttl_seconds > 0 and self._snapshot is snapshot:
            if len(self._pages) >= self.max_pages:
                self._pages = {}  # a full cache is rare (max_pages learners within one snapshot): start over
            self._pages[key] = (snapshot.titles, enrolled, gaps, body, items)
        return body, items
