"""Domain errors of gamification (mapped to HTTP by skillstudio.web like every domain's)."""

from __future__ import annotations

from skillstudio.errors import Conflict


class AchievementSlugTaken(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"An achievement with slug {slug!r} exists already; choose another slug.")
