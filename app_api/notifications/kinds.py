"""The kinds of notification: every producer names one, and preferences are kept per kind."""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    STRUGGLING_SKILL = "struggling_skill"
    COMPLETION_RISK = "completion_risk"
    AT_RISK_DIGEST = "at_risk_digest"
    PATH_ADJUSTED = "path_adjusted"
    LEVEL_UP = "level_up"
    BADGE_UNLOCKED = "badge_unlocked"
    CERTIFICATE_ISSUED = "certificate_issued"


# Without a stored preference: always in-app; email only for what a learner would miss otherwise.
DEFAULT_EMAIL = frozenset(
    {
        NotificationKind.COMPLETION_RISK,
        NotificationKind.AT_RISK_DIGEST,
        NotificationKind.CERTIFICATE_ISSUED,
    }
)
