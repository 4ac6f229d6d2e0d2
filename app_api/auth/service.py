"""Registration, login, refresh, logout and password change.

Sessions: each login (or password change) starts a refresh-token family, whose id is the session id in the
``logged-in`` and ``logged-out`` events. A session ends, with one ``logged-out`` event naming the reason,
when the user logs out, changes their password, or when a rotated token of the family is presented again
(theft detection). Refreshing rotates a token inside a session and writes no event (decision): it changes
nothing a learner or admin reads, would add an event per learner every few minutes, and the session's
start and end are already events; ``refresh_tokens`` keeps every rotation.

Services raise ``AuthRefusal`` where the refusal must keep its writes (see ``app_api.auth.exceptions``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app_api.auth import passwords, rate_limit, tokens
from app_api.auth.exceptions import AuthRefusal, forbidden, too_many_attempts, unauthorized
from app_api.auth.schemas import RegistrationCreate, TokenRead
from app_api.users import service as users
from app_api.users.schemas import UserRead
from skillstudio.events.recording import record_event
from skillstudio.settings import Settings
from skillstudio.web.principals import Principal, issue_access_token

logger = logging.getLogger(__name__)

# Session events get ids derived from the session (family) id: a session starts and ends once, so
# retries and races can never write two of either.
_SESSION_EVENTS = uuid.UUID("0b8f7c52-3f0e-4f43-8d6a-6a0c9e51d7a4")
WRONG_CREDENTIALS = "The email or password is wrong."


def register(
    *, session: Session, settings: Settings, registration: RegistrationCreate, now: datetime
) -> UserRead:
    """A learner account with an argon2id-hashed password; 409 if the email is taken."""
    user = users.create_user(
        session=session,
        email=registration.email,
        display_name=registration.display_name,
        password_hash=passwords.hash_password(settings, registration.password),
        now=now,
    )
    return users.user_read(user)


def _session_event(
    session: Session, *, verb: str, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime, **extensions: Any
) -> None:
    record_event(
        session,
        event_id=uuid.uuid5(_SESSION_EVENTS, f"{verb}:{family_id}"),
        actor_id=user_id,
        verb=verb,
        object_type="account",
        object_id=user_id,
        occurred_at=now,
        extensions={"session_id": str(family_id), **extensions},
    )


def _start_session(
    session: Session, *, settings: Settings, user: users.Credentials, now: datetime, **extensions: Any
) -> TokenRead:
    family_id = uuid.uuid4()
    issued = tokens.issue(
        session=session,
        user_id=user.user_id,
        family_id=family_id,
        now=now,
        lifetime=timedelta(days=settings.refresh_token_days),
    )
    _session_event(
        session, verb="logged-in", user_id=user.user_id, family_id=family_id, now=now, **extensions
    )
    return _token_pair(settings, user=user, issued=issued, now=now)


def _token_pair(
    settings: Settings, *, user: users.Credentials, issued: tokens.IssuedToken, now: datetime
) -> TokenRead:
    return TokenRead(
        access_token=issue_access_token(settings, user_id=user.user_id, role=user.role, now=now),
        expires_in=settings.access_token_minutes * 60,
        refresh_token=issued.token,
        refresh_expires_at=issued.row.expires_at,
        user_id=user.user_id,
        role=user.role,
    )


def _check_password(
    session: Session,
    *,
    settings: Settings,
    email: str,
    user: users.Credentials | None,
    password: str,
    client_ip: str,
    now: datetime,
    refusal: AuthRefusal,
) -> bool:
    """Rate-limit, verify and record one password check; raises ``refusal`` on a wrong password.

    Returns whether the stored hash should be renewed with the current argon2 parameters.
    """
    rate_limit.lock(session=session, email=email, client_ip=client_ip)
    block = rate_limit.check(session=session, settings=settings, email=email, client_ip=client_ip, now=now)
    if block is not None:
        logger.info("password check refused by the %s limit (ip %s)", block.scope, client_ip)
        raise too_many_attempts(scope=block.scope, retry_after_seconds=block.retry_after_seconds)
    verification = passwords.verify_password(settings, user.password_hash if user else None, password)
    rate_limit.record(
        session=session,
        email=email,
        client_ip=client_ip,
        user_id=user.user_id if user else None,
        succeeded=verification.matches,
        now=now,
    )
    if not verification.matches:
        raise refusal
    return verification.needs_rehash


def login(
    *, session: Session, settings: Settings, email: str, password: str, client_ip: str, now: datetime
) -> TokenRead:
    """A new session for a correct email and password.

    Unknown emails, accounts without a password (imported learners) and wrong passwords get the same 401
    in the same time; repeated failures get a 429 with ``Retry-After``.
    """
    # The account row is locked before the rate-limit locks, in the same order as change_password, so
    # the two never wait on each other in a cycle.
    user = users.find_credentials(session, email=email, for_update=True)
    needs_rehash = _check_password(
        session,
        settings=settings,
        email=email,
        user=user,
        password=password,
        client_ip=client_ip,
        now=now,
        refusal=unauthorized(WRONG_CREDENTIALS),
    )
    assert user is not None  # a password matched, so there is an account
    extensions: dict[str, Any] = {"method": "password"}
    renewed_hash = passwords.hash_password(settings, password) if needs_rehash else None
    if needs_rehash:
        extensions["password_rehashed"] = True
    users.record_login(session, user_id=user.user_id, now=now, renewed_hash=renewed_hash)
    return _start_session(session, settings=settings, user=user, now=now, **extensions)


def _end_session(
    session: Session, *, user_id: uuid.UUID, family_id: uuid.UUID, reason: str, now: datetime
) -> bool:
    """Revoke a family; writes its ``logged-out`` event if it was still live. Returns whether it was."""
    live = tokens.revoke_family(session=session, family_id=family_id, reason=reason, now=now)
    if live:
        _session_event(
            session, verb="logged-out", user_id=user_id, family_id=family_id, now=now, reason=reason
        )
    return live > 0


def refresh(*, session: Session, settings: Settings, refresh_token: str, now: datetime) -> TokenRead:
    """Rotate: revoke the presented token and issue its successor in the same family.

    A token that was already rotated or revoked ends its whole family and is refused: either a thief or
    the owner used it first, and the server cannot tell which. There is no grace period for retries.
    """
    row = tokens.find(session=session, token=refresh_token)
    if row is None:
        raise unauthorized("The refresh token is not valid; log in again.")
    if row.revoked_at is not None:
        if _end_session(
            session, user_id=row.user_id, family_id=row.family_id, reason="reuse_detected", now=now
        ):
            logger.warning("refresh token reuse: session %s of user %s ended", row.family_id, row.user_id)
        raise unauthorized(
            "This refresh token was already used or revoked, so its session has been ended; log in again.",
            reason="refresh_token_reused",
        )
    if row.expires_at <= now:
        raise unauthorized("The refresh token has expired; log in again.")
    user = users.get_credentials(session, user_id=row.user_id)
    issued = tokens.issue(
        session=session,
        user_id=user.user_id,
        family_id=row.family_id,
        now=now,
        lifetime=timedelta(days=settings.refresh_token_days),
    )
    row.revoked_at = now
    row.revoked_reason = "rotated"
    row.replaced_by_id = issued.row.refresh_token_id
    session.flush()
    return _token_pair(settings, user=user, issued=issued, now=now)


def logout(*, session: Session, refresh_token: str, now: datetime) -> None:
    """End the session the token belongs to; ending an ended session again changes nothing."""
    row = tokens.find(session=session, token=refresh_token)
    if row is None:
        raise unauthorized("The refresh token is not valid; there is no session to end.")
    _end_session(session, user_id=row.user_id, family_id=row.family_id, reason="logout", now=now)


def change_password(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    current_password: str,
    new_password: str,
    client_ip: str,
    now: datetime,
) -> TokenRead:
    """Replace the password after checking the current one (rate-limited like a login), end every session
    of the user, and start a new one for the caller."""
    user = users.get_credentials(session, user_id=principal.user_id, for_update=True)
    _check_password(
        session,
        settings=settings,
        email=user.email or f"user:{user.user_id}",
        user=user,
        password=current_password,
        client_ip=client_ip,
        now=now,
        refusal=forbidden("The current password is wrong; the password was not changed."),
    )
    users.set_password_hash(
        session, user_id=user.user_id, password_hash=passwords.hash_password(settings, new_password), now=now
    )
    ended = tokens.revoke_user_families(
        session=session, user_id=user.user_id, reason="password_changed", now=now
    )
    for family_id in ended:
        _session_event(
            session,
            verb="logged-out",
            user_id=user.user_id,
            family_id=family_id,
            now=now,
            reason="password_changed",
        )
    record_event(
        session,
        actor_id=user.user_id,
        verb="updated",
        object_type="account",
        object_id=user.user_id,
        occurred_at=now,
        extensions={
            "target_user_id": str(user.user_id),
            "changes": ["password"],
            "sessions_ended": len(ended),
        },
    )
    return _start_session(session, settings=settings, user=user, now=now, method="password_change")


def prune(*, session: Session, settings: Settings, now: datetime) -> dict[str, int]:
    """Delete login attempts and dead refresh-token families older than the retention period; meant for a
    daily schedule."""
    retention = timedelta(days=settings.login_attempt_retention_days)
    return {
        "login_attempts": rate_limit.prune(session=session, now=now, retention=retention),
        "refresh_tokens": tokens.prune(session=session, now=now, retention=retention),
    }
