"""When a learner is struggling on a skill (issue 11 point 7; docs/mastery.md, "Struggling").

Definition: a learner starts struggling on a skill when their last :data:`WRONG_IN_A_ROW` answers on it
are wrong *after practice* — at least :data:`MIN_ANSWERS` answers on the skill, so a first encounter
with a hard skill is not yet struggling. The episode ends (recovered) after :data:`RIGHT_TO_RECOVER`
right answers in a row. Only the start of an episode notifies and writes an event; while it lasts, the
next questions on the skill aim at the policy's ``struggling_target`` (easier) instead of ``target``.
"""

from __future__ import annotations

from datetime import datetime

WRONG_IN_A_ROW = 3
MIN_ANSWERS = 4
RIGHT_TO_RECOVER = 2
REMEMBERED = 10


def remember(recent: str, correct: bool) -> str:
    """The last answers on the skill, oldest first, with one more."""
    return (recent + ("1" if correct else "0"))[-REMEMBERED:]


def next_since(since: datetime | None, *, recent: str, answers_seen: int, now: datetime) -> datetime | None:
    """When the current struggling episode started after the latest answer; None when not struggling."""
    if since is None:
        if answers_seen >= MIN_ANSWERS and recent.endswith("0" * WRONG_IN_A_ROW):
            return now
        return None
    if recent.endswith("1" * RIGHT_TO_RECOVER):
        return None
    return since
