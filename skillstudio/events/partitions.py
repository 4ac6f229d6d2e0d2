"""Monthly partitions of ``learner_events``: creating them ahead, listing them, and month arithmetic.

Partitions are named ``learner_events_YYYY_MM`` and cover one UTC month; the SQL function
``ensure_learner_event_partition`` (migration 0001) creates them and moves rows of that month out of the
default partition. Everything here goes through it, so the schedule, the app start-up, the CLI, the
importers and the bulk loader agree; this module is the only place that knows how months map to partitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg

PARTITION_PATTERN = re.compile(r"^learner_events_(\d{4})_(\d{2})$")
DEFAULT_PARTITION = "learner_events_default"
_AGE = re.compile(r"^\s*(\d+)\s*(mo|m|months?|d|days?|w|weeks?|y|years?)\s*$", re.IGNORECASE)


def month_start(day: date | datetime) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"learner_events_{month:%Y_%m}"


def month_bounds(first: date, last: date) -> list[tuple[datetime, datetime]]:
    """Each month from ``first``'s to ``last``'s as its partition's range: midnight UTC of its first day
    (included) to that of the next month's (excluded)."""
    start, end = month_start(first), month_start(last)
    bounds = []
    while start <= end:
        following = add_months(start, 1)
        bounds.append((_midnight(start), _midnight(following)))
        start = following
    return bounds


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def ensure_month_partitions(conn: psycopg.Connection, first: date, last: date) -> list[str]:
    """Create the monthly partitions covering ``first``..``last`` (moving rows out of the default one);
    their names, oldest first."""
    names = conn.execute(
        "select ensure_learner_event_partition(month::date) "
        "from generate_series(date_trunc('month', %s::date), %s::date, interval '1 month') as month",
        (first, last),
    ).fetchall()
    return [name for (name,) in names]


def month_of_partition(name: str) -> date | None:
    match = PARTITION_PATTERN.match(name)
    return date(int(match[1]), int(match[2]), 1) if match else None


@dataclass(frozen=True)
class Age:
    """A retention age such as ``12mo`` or ``90d``."""

    months: int = 0
    days: int = 0

    def cutoff(self, now: datetime) -> datetime:
        """The instant that is this age before ``now`` (calendar months, clamped to the month's end)."""
        if self.months:
            target = add_months(month_start(now), -self.months)
            last_day = (add_months(target, 1) - target).days
            now = now.replace(year=target.year, month=target.month, day=min(now.day, last_day))
        return now - timedelta(days=self.days)


def parse_age(text: str) -> Age:
    """``12mo``, ``1y``, ``6w``, ``90d`` → an :class:`Age`; anything else is an error saying what works."""
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"cannot read age {text!r}: write a number and a unit, e.g. 12mo, 1y, 6w or 90d")
    amount, unit = int(match[1]), match[2].lower()
    if unit.startswith("y"):
        return Age(months=12 * amount)
    if unit.startswith("m"):
        return Age(months=amount)
    if unit.startswith("w"):
        return Age(days=7 * amount)
    return Age(days=amount)


def closed_before(cutoff: datetime) -> date:
    """The first month that is *not* closed: months strictly before it ended at or before ``cutoff``."""
    return month_start(cutoff.astimezone(UTC))


def ensure_months_ahead(conn: psycopg.Connection, months_ahead: int, today: date | None = None) -> list[str]:
    """Make sure the current month and ``months_ahead`` following ones have partitions."""
    first = month_start(today or datetime.now(UTC).date())
    return ensure_month_partitions(conn, first, add_months(first, months_ahead))


@dataclass(frozen=True)
class PartitionInfo:
    name: str
    month: date | None  # None for the default partition
    rows: int


def attached_months(conn: psycopg.Connection) -> list[date]:
    """Months that have a partition attached to ``learner_events``, oldest first."""
    names = conn.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'learner_events'::regclass"
    ).fetchall()
    return sorted(month for (name,) in names if (month := month_of_partition(name)) is not None)


def list_partitions(conn: psycopg.Connection) -> list[PartitionInfo]:
    """Every partition of ``learner_events`` with its exact row count, oldest month first."""
    names = [
        name
        for (name,) in conn.execute(
            "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
            "where i.inhparent = 'learner_events'::regclass"
        ).fetchall()
    ]
    infos = []
    for name in names:
        row = conn.execute(f'select count(*) from "{name}"').fetchone()
        infos.append(PartitionInfo(name, month_of_partition(name), int(row[0]) if row else 0))
    return sorted(infos, key=lambda info: (info.month is None, info.month or date.min))


def months_in_default(conn: psycopg.Connection, before: date | None = None) -> list[tuple[date, int]]:
    """Months whose events sit in the default partition (no partition of their own), with counts."""
    where = "" if before is None else "where occurred_at < %(before)s::date::timestamp at time zone 'UTC'"
    rows = conn.execute(
        "select (date_trunc('month', occurred_at at time zone 'UTC'))::date as month, count(*) "
        f"from {DEFAULT_PARTITION} {where} group by 1 order by 1",
        {"before": before},
    ).fetchall()
    return [(month, int(count)) for month, count in rows]
