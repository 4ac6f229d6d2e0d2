"""Login rate limits per account and per client IP, counted in PostgreSQL over a sliding window.

Attempts are rows of ``login_attempts`` rather than counters in process memory because the API runs as
several stateless replicas behind a load balancer: all of them must see the same count. Per account and
per IP, a transaction-scoped advisory lock serialises concurrent checks, so a burst of parallel guesses
cannot all pass the count before any of them is recorded.

What counts (decision):
- per account: failed password checks for the email within the window, made after its last success
  (a correct password proves the owner and clears the count);
- per IP: failed password checks from the IP within the window, except those for an email that later
  logged in successfully from the same IP. A user's typos followed by success stop counting against
  their office's shared IP, but an attacker holding one valid account cannot clear failures they made
  against other accounts by logging into their own.
Refused (429) attempts are not stored and do not extend the block: the password was never checked.

Failed attempts are not learner events: they change no account, are keyed by whatever email was typed
(maybe nobody's, and events never carry emails), and would let anyone flood the analytical event store.
The rows here are the record; ``prune`` removes them after the retention period.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from app_api.auth.models import LoginAttempt
from skillstudio.settings import Settings

# Advisory-lock namespaces (first key of pg_advisory_xact_lock(int, int)); distinct so that an email and an
# IP whose hashes collide never share a lock.
_ACCOUNT_LOCKS = 0x4C4F4741  # "LOGA"
_IP_LOCKS = 0x4C4F4749  # "LOGI"


Scope = Literal["account", "ip"]


@dataclass(frozen=True)
class Block:
    scope: Scope
    retry_after_seconds: int


def lock(*, session: Session, email: str, client_ip: str) -> None:
    """Serialise password checks for this email and this IP until the transaction ends.

    Always the account lock first, then the IP lock, so two requests never wait for each other in a cycle.
    """
    session.execute(select(func.pg_advisory_xact_lock(_ACCOUNT_LOCKS, func.hashtext(email))))
    session.execute(select(func.pg_advisory_xact_lock(_IP_LOCKS, func.hashtext(client_ip))))


def _recent_failures(
    session: Session, *, scope: Scope, key: str, since: datetime, limit: int
) -> list[datetime]:
    failure = aliased(LoginAttempt)
    success = aliased(LoginAttempt)
    later_success = select(success.login_attempt_id).where(
        success.succeeded, success.email == failure.email, success.attempted_at > failure.attempted_at
    )
    if scope == "account":
        where = failure.email == key
    else:
        where = failure.client_ip == key
        later_success = later_success.where(success.client_ip == failure.client_ip)
    query = (
        select(failure.attempted_at)
        .where(where, ~failure.succeeded, failure.attempted_at > since, ~exists(later_success))
        .order_by(failure.attempted_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def check(*, session: Session, settings: Settings, email: str, client_ip: str, now: datetime) -> Block | None:
    """The block in force for this attempt, if any (the longer one when both limits are reached).

    The window slides: a block lifts when the oldest failure that still completes the limit leaves it.
    """
    window = timedelta(seconds=settings.login_window_seconds)
    limits: list[tuple[Scope, str, int]] = [
        ("account", email, settings.login_max_failures_per_account),
        ("ip", client_ip, settings.login_max_failures_per_ip),
    ]
    blocks = []
    for scope, key, limit in limits:
        failures = _recent_failures(session, scope=scope, key=key, since=now - window, limit=limit)
        if len(failures) >= limit:
            lifts_at = failures[limit - 1] + window
            seconds = max(1, math.ceil((lifts_at - now).total_seconds()))
            blocks.append(Block(scope=scope, retry_after_seconds=seconds))
    return max(blocks, key=lambda block: block.retry_after_seconds, default=None)


def record(
    *,
    session: Session,
    email: str,
    client_ip: str,
    user_id: uuid.UUID | None,
    succeeded: bool,
    now: datetime,
) -> None:
    session.add(
        LoginAttempt(attempted_at=now, email=email, client_ip=client_ip, user_id=user_id, succeeded=succeeded)
    )
    session.flush()


def prune(*, session: Session, now: datetime, retention: timedelta) -> int:
    """Delete attempts older than the retention period (they hold typed emails: personal data)."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - retention))
    return int(getattr(result, "rowcount", 0) or 0)
