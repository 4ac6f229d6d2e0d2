"""The database half of an erasure: one transaction that relabels, scrubs and records.

See :mod:`skillstudio.privacy.erasure` for the whole picture. Personal data handled here:

* ``users``: the columns in :data:`SCRUBBED_USER_COLUMNS` are replaced (email, external id, display
  name, password hash, last login); every other column (role, created_at...) is kept as it is.
* rows that exist only to log in as the person (:data:`ACCOUNT_ONLY_TABLES`: refresh tokens, login
  attempts, which also keep the typed email) are deleted rather than relabelled;
* ``learner_profiles``: ``attributes`` and ``preferences`` are emptied;
* quarantined statements (:data:`QUOTING_TABLES`) that quote the learner's id or email are deleted;
* copies of the learner's name kept beside their id (:data:`NAME_COPIES`: the name a certificate was issued
  to, the name a leaderboard's cache shows) become "Erased learner" too, and files drawn with the name
  (:data:`DRAWN_FILES`: certificates' PDFs) are marked to be drawn again; their stored objects' keys are
  returned so that the caller deletes them once this transaction has committed.

A table added later that keeps personal data in other columns must be added here.
"""

from __future__ import annotations

import uuid

import psycopg

from skillstudio.erasure_log import reference_of
from skillstudio.lake.rewrite import rederived_event_id

ERASED_DISPLAY_NAME = "Erased learner"
LEARNER_COLUMN_NAMES = ("user_id", "learner_id", "actor_id")
SCRUBBED_USER_COLUMNS = {
    "email": "null",
    "external_id": "null",
    "display_name": "%(name)s",
    "password_hash": "null",
    "last_login_at": "null",
}
ACCOUNT_ONLY_TABLES = ("refresh_tokens", "login_attempts")
# Raw payloads that may quote the learner's id or email (malformed statements kept for audit): rows that
# do are deleted, because a resubmission would bring the old id back and an audit copy would keep it.
QUOTING_TABLES = {"event_quarantine": ("payload", "corrected_payload")}
# (table, learner column, name column): text copies of the learner's name, replaced like the account's.
NAME_COPIES = (
    ("certificates", "user_id", "learner_name"),
    ("leaderboard_entries", "learner_id", "display_name"),
)
# table: (learner column, object key column) of files that show the learner's name; the key is emptied
# (the file is drawn again when asked for, with the replaced name) and the old object deleted.
DRAWN_FILES = {"certificates": ("user_id", "pdf_key")}
# Tables handled on their own, never by the generic relabelling.
_OWN_TABLES = {"users", "learner_events", "learner_erasures"}


def learner_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every column that holds a learner's user id."""
    rows = conn.execute(
        """
        select n.nspname, c.relname, a.attname
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
        where k.contype = 'f' and k.confrelid = 'users'::regclass and cardinality(k.conkey) = 1
          and k.conparentid = 0
        union
        select n.nspname, c.relname, a.attname
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where a.attname = any(%s) and a.atttypid = 'uuid'::regtype and not a.attisdropped
          and c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%%'
        order by 1, 2, 3
        """,
        (list(LEARNER_COLUMN_NAMES),),
    ).fetchall()
    return [(schema, table, column) for schema, table, column in rows if table not in _OWN_TABLES]


def erase_in_database(
    conn: psycopg.Connection, old: uuid.UUID, external_id: str | None
) -> tuple[uuid.UUID, uuid.UUID, str, list[str]]:
    """One transaction: log, relabel every reference, scrub personal data, rewrite live events.

    Returns the erasure's id, the pseudonym, the reference, and the keys of stored objects drawn with the
    learner's name (to delete after the commit).
    """
    pseudonym, erasure_id, reference = uuid.uuid4(), uuid.uuid4(), reference_of(str(old))
    with conn.transaction():
        conn.execute(
            "insert into learner_erasures (erasure_id, reference, external_reference, status, "
            "pending_pseudonym) values (%s, %s, %s, 'lake_pending', %s)",
            (erasure_id, reference, reference_of(external_id) if external_id else None, pseudonym),
        )
        account = conn.execute("select email from users where user_id = %s for update", (old,)).fetchone()
        profile_fields = 0
        if account:
            _delete_logins(conn, old, account[0])
            _copy_account(conn, old, pseudonym)
        quoted = _delete_quotes(conn, old, account[0] if account else None)
        linked = 0
        for schema, table, column in learner_columns(conn):
            cursor = conn.execute(
                f'update "{schema}"."{table}" set "{column}" = %s where "{column}" = %s', (pseudonym, old)
            )
            linked += max(cursor.rowcount, 0)
        if account:
            row = conn.execute(
                "select (select count(*) from jsonb_object_keys(attributes)) "
                "+ (select count(*) from jsonb_object_keys(preferences)) "
                "from learner_profiles where user_id = %s",
                (pseudonym,),
            ).fetchone()
            profile_fields = int(row[0]) if row else 0
            conn.execute(
                "update learner_profiles set attributes = '{}', preferences = '{}', updated_at = now() "
                "where user_id = %s",
                (pseudonym,),
            )
            conn.execute("delete from users where user_id = %s", (old,))
        stale_objects = _scrub_name_copies(conn, pseudonym)
        live = _rewrite_live_events(conn, old, pseudonym)
        conn.execute(
            "update learner_erasures set live_events = %s, linked_rows = %s, profile_fields = %s, "
            "quarantined_statements = %s where erasure_id = %s",
            (live, linked, profile_fields, quoted, erasure_id),
        )
    return erasure_id, pseudonym, reference, stale_objects


def _scrub_name_copies(conn: psycopg.Connection, pseudonym: uuid.UUID) -> list[str]:
    """Replace the copies of the name (rows already relabelled); returns the keys of files drawn with it."""
    stale: list[str] = []
    for table, (learner, key) in DRAWN_FILES.items():
        if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
            continue
        drawn = conn.execute(
            f'select "{key}" from "{table}" where "{learner}" = %s and "{key}" is not null for update',
            (pseudonym,),
        ).fetchall()
        conn.execute(f'update "{table}" set "{key}" = null where "{learner}" = %s', (pseudonym,))
        stale += [old_key for (old_key,) in drawn]
    for table, learner, name in NAME_COPIES:
        if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
            continue
        conn.execute(
            f'update "{table}" set "{name}" = %s where "{learner}" = %s', (ERASED_DISPLAY_NAME, pseudonym)
        )
    return stale


def _delete_logins(conn: psycopg.Connection, old: uuid.UUID, email: str | None) -> None:
    """Delete the rows that only serve logging in as this person (tokens, login attempts by email)."""
    for table in ACCOUNT_ONLY_TABLES:
        if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
            continue
        has_email = conn.execute(
            "select exists (select 1 from information_schema.columns where table_schema = current_schema() "
            "and table_name = %s and column_name = 'email')",
            (table,),
        ).fetchone()
        by_email = " or lower(email) = lower(%(email)s)" if has_email and has_email[0] and email else ""
        conn.execute(f'delete from "{table}" where user_id = %(old)s{by_email}', {"old": old, "email": email})


def _delete_quotes(conn: psycopg.Connection, old: uuid.UUID, email: str | None) -> int:
    """Delete stored raw payloads that quote the learner's id (any case) or email; returns rows deleted."""
    deleted = 0
    patterns = {"id": f"%{old}%", "email": f"%{email}%" if email else None}
    for table, columns in QUOTING_TABLES.items():
        if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
            continue
        matches = [f"{column}::text ilike %(id)s" for column in columns]
        if email:
            matches += [f"{column}::text ilike %(email)s" for column in columns]
        cursor = conn.execute(f'delete from "{table}" where {" or ".join(matches)}', patterns)
        deleted += max(cursor.rowcount, 0)
    return deleted


def _copy_account(conn: psycopg.Connection, old: uuid.UUID, pseudonym: uuid.UUID) -> None:
    """Insert the account again under the pseudonym, without personal data."""
    scrubbed = {"user_id": "%(pseudonym)s", **SCRUBBED_USER_COLUMNS}
    names = [
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = current_schema() and table_name = 'users' and is_generated = 'NEVER' "
            "order by ordinal_position"
        ).fetchall()
    ]
    columns = ", ".join(f'"{name}"' for name in names)
    values = ", ".join(scrubbed.get(name, f'"{name}"') for name in names)
    conn.execute(
        f"insert into users ({columns}) select {values} from users where user_id = %(old)s",
        {"pseudonym": pseudonym, "name": ERASED_DISPLAY_NAME, "old": old},
    )


def _rewrite_live_events(conn: psycopg.Connection, old: uuid.UUID, new: uuid.UUID) -> int:
    rows = conn.execute(
        "select event_id, occurred_at, verb, object_type, object_id, attempt from learner_events "
        "where actor_id = %s",
        (old,),
    ).fetchall()
    remap = []
    for event_id, occurred_at, verb, object_type, object_id, attempt in rows:
        renamed = rederived_event_id(
            event_id, old=old, new=new, verb=verb, object_type=object_type, object_id=object_id,
            occurred_at=occurred_at, attempt=attempt,
        )  # fmt: skip
        if renamed != event_id:
            remap.append((event_id, occurred_at, renamed))
    if remap:
        conn.execute(
            "create temp table erasure_event_ids (event_id uuid, occurred_at timestamptz, new_event_id uuid) "
            "on commit drop"
        )
        with conn.cursor().copy("copy erasure_event_ids from stdin") as copy:
            for row in remap:
                copy.write_row(row)
        conn.execute(
            "update learner_events e set event_id = m.new_event_id from erasure_event_ids m "
            "where e.actor_id = %s and e.event_id = m.event_id and e.occurred_at = m.occurred_at",
            (old,),
        )
    cursor = conn.execute("update learner_events set actor_id = %s where actor_id = %s", (new, old))
    return max(cursor.rowcount, 0)
