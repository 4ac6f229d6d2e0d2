"""Right to erasure: ``skillstudio learners erase ID`` pseudonymises one learner everywhere.

The learner becomes a new random UUID (the *pseudonym*) in every place that held their id, and their
personal data is removed:

* ``users``: a row under the pseudonym replaces theirs, with no email, external id, password or last login
  and the display name "Erased learner" (role and creation time are kept: they are not personal and
  analytics read them); tokens and login attempts are deleted (:mod:`skillstudio.privacy.database`).
  Every column with a foreign key to ``users.user_id`` (enrollments, attempts, profiles, ... found in the
  catalogue, so tables added later are covered) and every ``uuid`` column named ``user_id``,
  ``learner_id`` or ``actor_id`` in any schema (dbt marts, the generator's truth) is pointed at the
  pseudonym, then the old row is deleted. Keeping enrollments under the pseudonym is what keeps
  enrollment counts, per-course counts and DAU/WAU/MAU exactly as they were: it is a relabelling.
* ``learner_profiles``: ``attributes`` and ``preferences`` (demographics, settings) are emptied.
* ``learner_events`` and every lake file: ``actor_id`` becomes the pseudonym, and event ids that were
  *derived* from the old actor id (uuid5, see :mod:`skillstudio.events.contract`) are derived again from the
  pseudonym, since anyone holding the old id could otherwise recompute them and find the learner.
* copies of the name (a certificate's, a leaderboard cache's) and the files drawn with it (certificates'
  PDFs, deleted from object storage and drawn again with the erased name when asked for).

Nothing keeps the old id: the erasure log stores ``reference`` = SHA-256 of it (to recognise a repeated
request) and counts. The database part commits first; the lake is rewritten next, file by file, each
replacement verified and swapped in two phases (:func:`skillstudio.lake.manifest.replace_file`). Until
the lake is done the log keeps the pseudonym, so that re-running the same command resumes with the
*same* pseudonym after an interruption; it is cleared when the erasure completes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from skillstudio.erasure_log import reference_of
from skillstudio.lake.manifest import LakeError, fetch_stored, lake_lock, manifest, work_dir
from skillstudio.lake.rewrite import actor_in_file, rewrite_actor
from skillstudio.lake.store import LakeStore
from skillstudio.object_storage import ObjectStore
from skillstudio.privacy.database import erase_in_database


@dataclass
class ErasureReport:
    """What an erasure did; ``outcome`` is erased, resumed, already_erased or unknown."""

    outcome: str
    message: str
    live_events: int = 0
    lake_events: int = 0
    lake_files: int = 0
    linked_rows: int = 0
    profile_fields: int = 0
    quarantined_statements: int = 0


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def erase_learner(
    url: str,
    store: LakeStore,
    identifier: str,
    say: Callable[[str], None] | None = None,
    objects: ObjectStore | None = None,
) -> ErasureReport:
    """Erase the learner with this user id (or external id); see the module for what that means.

    ``url`` is a libpq URL. Safe to repeat: an erased learner answers ``already_erased``, an interrupted
    erasure resumes, an id nobody knows answers ``unknown``. ``objects`` holds the files drawn with the
    learner's name (certificates): they are deleted once the database has committed, and drawn again
    with the erased name when next asked for (which also replaces any an interruption left behind).
    """
    say = say or (lambda _message: None)
    with (
        psycopg.connect(url, autocommit=True) as conn,
        psycopg.connect(url, autocommit=True) as side,
        lake_lock(conn),
    ):
        found = _find_user(conn, identifier)
        if found is None:
            as_uuid = _as_uuid(identifier)
            references = [reference_of(identifier.strip()), reference_of(str(as_uuid or identifier.strip()))]
            logged = conn.execute(
                "select erasure_id, status, pending_pseudonym, reference from learner_erasures "
                "where reference = any(%s) or external_reference = any(%s)",
                (references, references),
            ).fetchone()
            if logged and logged[1] == "complete":
                return ErasureReport("already_erased", "this learner was already erased; nothing to do")
            if logged:
                say("resuming an interrupted erasure: rewriting the lake")
                return _erase_lake(conn, side, store, logged[0], logged[2], logged[3], say, "resumed")
            actor = as_uuid
            if actor is None or not _has_events(conn, store, actor, say):
                return ErasureReport(
                    "unknown", f"no learner, account or event has the id {identifier!r}; nothing was erased"
                )
            found = (actor, None)
        user_id, external_id = found
        say("pseudonymising the database")
        erasure_id, pseudonym, reference, drawn = erase_in_database(conn, user_id, external_id)
        if objects is not None:
            for key in drawn:
                objects.delete(key)
        say("rewriting the lake")
        return _erase_lake(conn, side, store, erasure_id, pseudonym, reference, say, "erased")


def _find_user(conn: psycopg.Connection, identifier: str) -> tuple[uuid.UUID, str | None] | None:
    as_uuid = _as_uuid(identifier)
    if as_uuid is not None:
        row = conn.execute("select user_id, external_id from users where user_id = %s", (as_uuid,)).fetchone()
        if row:
            return row[0], row[1]
    row = conn.execute(
        "select user_id, external_id from users where external_id = %s", (identifier.strip(),)
    ).fetchone()
    return (row[0], row[1]) if row else None


def _has_events(
    conn: psycopg.Connection, store: LakeStore, actor: uuid.UUID, say: Callable[[str], None]
) -> bool:
    """Whether an actor without an account has events, live or in the lake (which is scanned)."""
    live = conn.execute(
        "select exists (select 1 from learner_events where actor_id = %s)", (actor,)
    ).fetchone()
    if live and live[0]:
        return True
    reference = reference_of(str(actor))

    def is_learner(candidate: str) -> bool:
        return reference_of(candidate) == reference

    for entry in manifest(conn).values():
        say(f"looking for the id in the lake: {entry.month:%Y-%m}")
        with work_dir() as work:
            if actor_in_file(fetch_stored(store, entry, work), is_learner) is not None:
                return True
    return False


def _erase_lake(
    conn: psycopg.Connection,
    side: psycopg.Connection,
    store: LakeStore,
    erasure_id: uuid.UUID,
    pseudonym: uuid.UUID,
    reference: str,
    say: Callable[[str], None],
    outcome: str,
) -> ErasureReport:
    files = rows = 0

    def is_learner(candidate: str) -> bool:
        return reference_of(candidate) == reference

    for entry in manifest(conn).values():
        say(f"lake {entry.month:%Y-%m}")
        with work_dir() as work, conn.transaction():
            try:
                changed = rewrite_actor(conn, side, store, entry, is_learner, pseudonym, work)
            except LakeError as error:
                raise LakeError(
                    f"{error}\nThe learner is already pseudonymised in the database; once this is fixed, run "
                    "the same erase command again to finish the lake."
                ) from error
            if changed:
                files, rows = files + 1, rows + changed
                conn.execute(
                    "update learner_erasures set lake_events = lake_events + %s, lake_files = lake_files + 1 "
                    "where erasure_id = %s",
                    (changed, erasure_id),
                )
    row = conn.execute(
        "update learner_erasures set status = 'complete', pending_pseudonym = null, completed_at = now() "
        "where erasure_id = %s returning live_events, lake_events, lake_files, linked_rows, profile_fields, "
        "quarantined_statements",
        (erasure_id,),
    ).fetchone()
    assert row is not None
    live, lake, lake_files, linked, profile_fields, quarantined = (int(value) for value in row)
    message = (
        f"learner {'erased' if outcome == 'erased' else 'erasure resumed and completed'}: {live} live events "
        f"and {lake} archived events in {lake_files} lake files now carry a new pseudonymous id; "
        f"{linked} linked rows relabelled; {profile_fields} profile fields and {quarantined} quarantined "
        "statements removed"
    )
    return ErasureReport(outcome, message, live, lake, lake_files, linked, profile_fields, quarantined)
