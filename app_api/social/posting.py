"""The posting rate limit: at most 10 posts a minute and 120 an hour per user, counted in PostgreSQL.

A *post* is anything a user writes for others to read: a thread, a comment, a review, a review response
and a report (edits, deletes and moderation are not posts). Counted in ``social_posting_log`` rather than
in process memory because the API runs as several stateless replicas: all must see the same count. A
transaction-scoped advisory lock per user serialises a user's concurrent posts, so a burst cannot pass the
count before any of it is recorded; the post's row is written in the post's own transaction, so a refused
or failed post leaves nothing behind. Over a limit the answer is 429 with ``Retry-After``: the seconds until
the oldest post that completes the limit leaves its sliding window. Rows older than the longest window are
pruned as the user posts.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app_api.social.models import SocialPosting
from skillstudio.errors import RateLimited

# (posts, window): every window is checked; the longest one also bounds what the log keeps.
LIMITS: tuple[tuple[int, timedelta], ...] = ((10, timedelta(minutes=1)), (120, timedelta(hours=1)))
_LOCKS = 0x534F4349  # "SOCI": the advisory-lock namespace of posting


def _describe(window: timedelta) -> str:
    return "minute" if window == timedelta(minutes=1) else "hour"


def admit(session: Session, *, user_id: uuid.UUID, now: datetime) -> None:
    """Record one post of ``user_id`` at ``now``, or raise ``RateLimited`` (429) over a limit."""
    session.execute(select(func.pg_advisory_xact_lock(_LOCKS, func.hashtext(str(user_id)))))
    longest = max(window for _, window in LIMITS)
    recent = list(
        session.scalars(
            select(SocialPosting.posted_at)
            .where(SocialPosting.user_id == user_id, SocialPosting.posted_at > now - longest)
            .order_by(SocialPosting.posted_at.desc())
        )
    )
    for limit, window in LIMITS:
        within = [posted_at for posted_at in recent if posted_at > now - window]
        if len(within) >= limit:
            frees_at = within[limit - 1] + window
            seconds = max(1, math.ceil((frees_at - now).total_seconds()))
            raise RateLimited(
                f"You have posted {limit} times in the last {_describe(window)}, the most allowed; "
                f"try again in {seconds} s.",
                retry_after=seconds,
                limit=limit,
                window_seconds=int(window.total_seconds()),
            )
    session.execute(
        delete(SocialPosting).where(
            SocialPosting.user_id == user_id, SocialPosting.posted_at <= now - longest
        )
    )
    session.add(SocialPosting(user_id=user_id, posted_at=now))
    session.flush()
