"""learner_events keeps only the indexes its readers use: the course index goes, the actor's narrows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Nothing reads learner_events by course: the API looks events up by ``event_id``, erasure by actor, and
dbt scans months whole. The index was built on every load (about a third of
the bulk loader's index time on a million rows) and updated on every live insert, for no query. A
per-course read, when one appears, belongs in the marts or gets this index back with its reason.

The actor index narrows to ``actor_id`` alone: its readers (erasure, the check that a learner has events)
look a learner up by equality and order nothing by time. The narrower index builds in about two thirds of
the time, and b-tree deduplication keeps it a fraction of the size (a learner has hundreds of events).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Dropping the partitioned index drops each partition's index with it.
    op.execute("drop index if exists ix_learner_events_course_id")
    op.execute("drop index ix_learner_events_actor_id")
    op.execute("create index ix_learner_events_actor_id on learner_events (actor_id)")


def downgrade() -> None:
    op.execute("drop index ix_learner_events_actor_id")
    op.execute("create index ix_learner_events_actor_id on learner_events (actor_id, occurred_at)")
    op.execute("create index ix_learner_events_course_id on learner_events (course_id, occurred_at)")
