"""The erasure log's one-way references: how anything can tell that a learner asked to be forgotten.

``skillstudio.privacy`` writes the log when it erases someone; importers read it before loading a learner,
so that loading the same source again never brings back a person who asked to be forgotten. Only the
non-reversible reference is kept, never the id itself.
"""

from __future__ import annotations

import hashlib

import psycopg

REFERENCE_PREFIX = "skillstudio-erasure:v1:"


def reference_of(identifier: str) -> str:
    """The non-reversible reference of a learner id or external id, as stored in the erasure log."""
    return hashlib.sha256(f"{REFERENCE_PREFIX}{identifier}".encode()).hexdigest()


def erased_references(conn: psycopg.Connection) -> set[str]:
    """References (:func:`reference_of`) of every learner erased or being erased, by id and external id.

    Importers check a learner against these before writing them: loading the same source again must not
    bring back a person who asked to be forgotten.
    """
    rows = conn.execute("select reference, external_reference from learner_erasures").fetchall()
    return {reference for row in rows for reference in row if reference}
