"""The learning API's reactions to its own events, installed as event listeners.

A domain that reacts to what learners do (XP and badges for a completed lesson, a certificate for a
completed course) exposes a listener ``(session, row) -> None`` and is added to ``_REACTIONS`` below. Each
listener runs in the transaction of the change whose event it receives, and only when that event was
newly stored (``skillstudio.events.recording``), so a retried request never reacts twice. Every entry point
that changes state installs them: the app factory, the demo seeding and the test suite.
"""

from __future__ import annotations

from skillstudio.events.recording import EventListener, listen, unlisten


def _reactions() -> tuple[EventListener, ...]:
    # Imported here so a domain's reaction module is loaded only by those that install reactions.
    from app_api.certificates.reactions import issue_on_course_completion
    from app_api.gamification.awards import on_event as gamification

    return (gamification, issue_on_course_completion)


def install_reactions() -> None:
    """Install every domain's listener (idempotent: installing again keeps one of each)."""
    for listener in _reactions():
        listen(listener)


def uninstall_reactions() -> None:
    """Remove every domain's listener (benchmarks measure a route without its reactions)."""
    for listener in _reactions():
        unlisten(listener)
