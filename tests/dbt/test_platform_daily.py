"""The dbt project built on a real database: marts checked against the same metrics computed in Python.

The data is a seeded, made-up platform: ~30 learners over 45 days, with quiet days in the middle, learners
seen once, learners in several courses, drop-outs, an instructor and an actor unknown to ``users``.
Timestamps carry assorted time zones and some fall just before or after midnight UTC, and dbt's session
runs in Auckland time, so a metric that used a local day instead of the UTC day would disagree.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import yaml

from pipelines.defs.analytics.project import DBT_PROJECT, dbt_resource, load_manifest, write_profiles
from skillstudio.db import libpq_url
from skillstudio.events.contract import Actor, Context, Statement, StatementObject, statement_to_row
from skillstudio.events.store import write_events
from tests.conftest import DbtDatabase
from tests.dbt import course_expectations as expect

FIRST_DAY = date(2026, 9, 20)
SPAN_DAYS = 45
QUIET_DAYS = frozenset(FIRST_DAY + timedelta(days=offset) for offset in (11, 12, 13, 27))
# UTC hours of sessions: midnight and late evening put local and UTC days apart in most zones.
SESSION_HOURS = (0, 0, 1, 7, 9, 12, 15, 18, 21, 23, 23)
ZONES = (UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Auckland"))
MODELS = {
    "stg_skillstudio__learner_events",
    "stg_skillstudio__users",
    "stg_skillstudio__courses",
    "stg_skillstudio__enrollments",
    "fct_platform_daily",
    "fct_learner_course_interactions",
}
ACTIVITIES = (
    ("experienced", "lesson"),
    ("answered", "question"),
    ("attempted", "assessment"),
    ("played", "video"),
    ("paused", "video"),
    ("posted", "discussion"),
    ("progressed", "module"),
)


@dataclass
class Platform:
    users: list[tuple[Any, ...]] = field(default_factory=list)
    courses: list[tuple[Any, ...]] = field(default_factory=list)
    enrollments: list[tuple[Any, ...]] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)


class _Session:
    """Successive events of one actor, five minutes apart within one UTC hour of one day."""

    def __init__(self, platform: Platform, rng: random.Random, actor_id: uuid.UUID, day: date) -> None:
        self.platform, self.actor_id = platform, actor_id
        start = datetime.combine(day, time(rng.choice(SESSION_HOURS), rng.choice((0, 1))), UTC)
        self.zone = rng.choice(ZONES)
        self.times = (start + timedelta(minutes=5 * step) for step in range(12))

    def emit(
        self,
        verb: str,
        object_type: str,
        object_id: str,
        *,
        course_id: uuid.UUID | None = None,
        enrollment_id: uuid.UUID | None = None,
    ) -> datetime:
        occurred_at = next(self.times)
        self.platform.statements.append(
            Statement(
                actor=Actor(id=self.actor_id),
                verb=verb,
                object=StatementObject(id=object_id, type=object_type),  # type: ignore[arg-type]
                context=Context(course_id=course_id, registration=enrollment_id),
                timestamp=occurred_at.astimezone(self.zone),
            )
        )
        return occurred_at


def build_platform(seed: int = 20261125) -> Platform:
    rng = random.Random(seed)
    platform = Platform()
    created_at = datetime(2026, 9, 1, tzinfo=UTC)
    course_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(6)]
    for number, course_id in enumerate(course_ids):
        status = "archived" if number == 5 else "published"
        platform.courses.append((course_id, f"Course {number}", "data", "beginner", status, created_at))
    open_days = [
        FIRST_DAY + timedelta(days=offset)
        for offset in range(SPAN_DAYS)
        if FIRST_DAY + timedelta(days=offset) not in QUIET_DAYS
    ]

    dropouts = 0
    for number in range(30):
        learner_id = uuid.UUID(int=rng.getrandbits(128))
        platform.users.append(
            (learner_id, f"learner{number}@example.org", f"Learner {number}", "learner", created_at)
        )
        if number == 0:
            days = [open_days[0], open_days[3]]
        elif number == 1:
            days = [open_days[-1]]
        elif number < 8:  # seen once
            days = [rng.choice(open_days)]
        else:
            first = rng.randrange(len(open_days))
            days = sorted(rng.sample(open_days[first:], min(len(open_days) - first, rng.randint(2, 12))))
        wanted = rng.sample(course_ids[:5], rng.choice((1, 1, 2, 3)))
        enrolled: dict[uuid.UUID, uuid.UUID] = {}
        for day in days:
            session = _Session(platform, rng, learner_id, day)
            course_id = rng.choice(wanted)
            if course_id not in enrolled and rng.random() < 0.85:
                enrollment_id = uuid.UUID(int=rng.getrandbits(128))
                enrolled_at = session.emit(
                    "registered", "course", str(course_id), course_id=course_id, enrollment_id=enrollment_id
                )
                enrolled[course_id] = enrollment_id
                status = "dropped" if rng.random() < 0.2 else "active"
                platform.enrollments.append((enrollment_id, learner_id, course_id, status, enrolled_at, None))
            for _ in range(rng.randint(0 if number < 8 else 1, 5)):
                verb, object_type = rng.choice(ACTIVITIES)
                session.emit(
                    verb,
                    object_type,
                    str(uuid.UUID(int=rng.getrandbits(128))),
                    course_id=course_id,
                    enrollment_id=enrolled.get(course_id),
                )
            if rng.random() < 0.15:
                session.emit("earned", "badge", f"badge-{rng.randrange(4)}")
        for index, (enrollment_id, user_id, course_id, status, enrolled_at, _) in enumerate(
            platform.enrollments
        ):
            if user_id != learner_id or status != "dropped":
                continue
            later_days = [day for day in open_days if day > enrolled_at.date()] or [enrolled_at.date()]
            session = _Session(platform, rng, learner_id, rng.choice(later_days))
            session.emit(
                "unregistered", "course", str(course_id), course_id=course_id, enrollment_id=enrollment_id
            )
            dropouts += 1
            if dropouts % 2 == 0:  # every other drop-out comes back to the course
                session.emit(
                    "registered", "course", str(course_id), course_id=course_id, enrollment_id=enrollment_id
                )
                platform.enrollments[index] = (enrollment_id, user_id, course_id, "active", enrolled_at, None)

    instructor_id = uuid.UUID(int=rng.getrandbits(128))
    platform.users.append((instructor_id, "teacher@example.org", "Teacher", "instructor", created_at))
    for day in open_days[::9]:
        _Session(platform, rng, instructor_id, day).emit(
            "posted", "discussion", "welcome-thread", course_id=course_ids[0]
        )
    # The events API takes any pseudonymous actor: this one has no user row (a warning, not a failure).
    visitor = _Session(platform, rng, uuid.UUID(int=rng.getrandbits(128)), open_days[20])
    visitor.emit("experienced", "course", str(course_ids[1]), course_id=course_ids[1])
    visitor.emit("experienced", "recommendation", "home-carousel")
    return platform


def store(url: str, platform: Platform) -> None:
    with psycopg.connect(libpq_url(url)) as conn:
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into users (user_id, email, display_name, role, created_at) "
                "values (%s, %s, %s, %s, %s)",
                platform.users,
            )
            cursor.executemany(
                "insert into courses (course_id, title, subject, level, status, created_at) "
                "values (%s, %s, %s, %s, %s, %s)",
                platform.courses,
            )
            cursor.executemany(
                "insert into enrollments "
                "(enrollment_id, user_id, course_id, status, enrolled_at, completed_at) "
                "values (%s, %s, %s, %s, %s, %s)",
                platform.enrollments,
            )
        received_at = datetime(2026, 11, 5, tzinfo=UTC)
        written = write_events(
            conn, [statement_to_row(s, received_at=received_at) for s in platform.statements]
        )
        assert len(written) == len(platform.statements)
        conn.commit()


# --- The metrics, computed from the statements alone ---------------------------------------------------


def expected_platform_daily(statements: list[Statement]) -> list[tuple[Any, ...]]:
    return expect.platform_daily(
        [
            expect.Event(
                actor_id=statement.actor.id,
                occurred_at=statement.timestamp,
                verb=statement.verb,
                object_type=statement.object.type,
                object_id=statement.object.id,
                course_id=statement.context.course_id if statement.context else None,
                enrollment_id=statement.context.registration if statement.context else None,
                score_scaled=None,
            )
            for statement in statements
        ]
    )


def expected_interactions(statements: list[Statement]) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[Any, ...]]:
    by_pair: dict[tuple[uuid.UUID, uuid.UUID], list[Statement]] = defaultdict(list)
    for statement in statements:
        if statement.context and statement.context.course_id:
            by_pair[(statement.actor.id, statement.context.course_id)].append(statement)
    expected = {}
    for pair, events in by_pair.items():
        events.sort(key=lambda statement: statement.timestamp)
        enrolled = False
        for statement in events:  # the latest (un)registration decides
            if statement.object.type == "course" and statement.verb in ("registered", "unregistered"):
                enrolled = statement.verb == "registered"
        expected[pair] = (
            events[0].timestamp,
            events[-1].timestamp,
            sum(1 for statement in events if statement.verb not in ("registered", "unregistered")),
            enrolled,
        )
    return expected


# --- Running dbt ----------------------------------------------------------------------------------------


@dataclass
class Build:
    url: str
    platform: Platform


def dbt_build(
    url: str, workdir: Path, *args: str, profiles: Path | None = None
) -> tuple[int, str, dict[str, str]]:
    """``dbt build``: its return code, output and status of each node by unique id."""
    invocation = dbt_resource(url, profiles or workdir / "profiles").cli(
        ["build", *args], raise_on_error=False, target_path=workdir / "target"
    )
    output = "\n".join(str(event) for event in invocation.stream_raw_events())
    results = invocation.get_artifact("run_results.json")["results"]
    return invocation.process.returncode, output, {r["unique_id"]: r["status"] for r in results}


@pytest.fixture(scope="module")
def build(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    """One ``dbt build`` on the seeded platform, shared by the tests that read its marts."""
    url = database_factory()
    platform = build_platform()
    store(url, platform)
    workdir = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PGTZ", "Pacific/Auckland")
        returncode, output, statuses = dbt_build(url, workdir)
    assert returncode == 0, output
    assert statuses, output
    assert set(statuses.values()) <= {"success", "pass", "warn"}, output
    # The unit tests and the composite-key tests ran, not only the models.
    assert sum(node.startswith("unit_test.") for node in statuses) == len(load_manifest()["unit_tests"])
    assert any("unique_combination_of_columns_fct_learner_course_interactions" in node for node in statuses)
    # The visitor without a user row is reported, not fatal, by each mart of learners' events.
    assert sorted(node for node, status in statuses.items() if status == "warn") == sorted(
        next(node for node in statuses if f"relationships_{mart}_learner_id" in node)
        for mart in ("fct_learner_course_interactions", "fct_learner_daily")
    )
    yield Build(url=url, platform=platform)


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(query).fetchall()


def test_platform_daily_matches_metrics_computed_from_the_events(build: Build) -> None:
    actual = _rows(
        build.url,
        "select activity_date, dau, wau, mau, dau_mau_ratio, new_learners, enrollments, drops, "
        "lesson_completions, course_completions, quiz_attempts, quiz_passes, quiz_pass_rate, active_courses "
        "from analytics.fct_platform_daily order by activity_date",
    )
    expected = expected_platform_daily(build.platform.statements)

    assert len(actual) == SPAN_DAYS
    assert actual == expected
    quiet = [row for row in actual if row[0] in QUIET_DAYS]
    assert len(quiet) == len(QUIET_DAYS) and all(
        row[1] == row[5] == row[6] == 0 and row[2] > 0 for row in quiet
    )
    # The data exercise what the metrics are about.
    assert sum(row[5] for row in actual) == len({s.actor.id for s in build.platform.statements})
    assert max(row[3] for row in actual) > max(row[2] for row in actual) > max(row[1] for row in actual)
    assert sum(row[6] for row in actual) > len(build.platform.enrollments)  # re-registrations count
    assert sum(row[7] for row in actual) > 0 and max(row[13] for row in actual) > 1


def test_column_types_are_integers_and_rounded_ratios_in_order(build: Build) -> None:
    columns = _rows(
        build.url,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'analytics' and table_name = 'fct_platform_daily' order by ordinal_position",
    )
    assert columns == [
        ("activity_date", "date"),
        ("dau", "bigint"),
        ("wau", "bigint"),
        ("mau", "bigint"),
        ("dau_mau_ratio", "numeric"),
        ("new_learners", "bigint"),
        ("enrollments", "bigint"),
        ("drops", "bigint"),
        ("lesson_completions", "bigint"),
        ("course_completions", "bigint"),
        ("quiz_attempts", "bigint"),
        ("quiz_passes", "bigint"),
        ("quiz_pass_rate", "numeric"),
        ("active_courses", "bigint"),
    ]


def test_learner_course_interactions_match_the_events(build: Build) -> None:
    actual = {
        (learner_id, course_id): rest
        for learner_id, course_id, *rest in _rows(
            build.url,
            "select learner_id, course_id, first_at, last_at, event_count, is_enrolled "
            "from analytics.fct_learner_course_interactions",
        )
    }
    expected = expected_interactions(build.platform.statements)

    assert {pair: tuple(row) for pair, row in actual.items()} == expected
    enrolled = [row[3] for row in expected.values()]
    assert any(enrolled) and not all(enrolled)
    assert any(row[2] == 0 for row in expected.values())  # enrolled and did nothing else
    courses_per_learner: dict[uuid.UUID, int] = defaultdict(int)
    for learner_id, _ in expected:
        courses_per_learner[learner_id] += 1
    assert max(courses_per_learner.values()) >= 2


# Column names that hold who a person is or how they sign in.
PERSONAL_COLUMN = re.compile(r"mail|display_?name|(first|last|full|given|family|user)_?name|^name$|passw")


def _columns_by_relation(url: str, schema_pattern: str) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = defaultdict(set)
    for relation, column in _rows(
        url,
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        f"where table_schema like '{schema_pattern}'",
    ):
        columns[relation].add(column)
    return columns


def test_no_analytics_relation_holds_an_email_a_name_or_a_password(build: Build) -> None:
    # The schema dbt builds into, and any custom schema of it (dbt names those analytics_<name>).
    analytics = _columns_by_relation(build.url, "analytics%")
    personal = {
        relation: sorted(column for column in columns if PERSONAL_COLUMN.search(column))
        for relation, columns in analytics.items()
    }

    assert {relation: columns for relation, columns in personal.items() if columns} == {}
    # Every model was built and looked at, users included.
    assert set(analytics) >= {f"analytics.{model}" for model in MODELS}
    assert analytics["analytics.stg_skillstudio__users"] == {"user_id", "role", "created_at"}
    # The pattern does find what the API's own users table holds.
    source = _columns_by_relation(build.url, "public")["public.users"]
    assert {column for column in source if PERSONAL_COLUMN.search(column)} == {
        "email",
        "display_name",
        "password_hash",
    }


def test_build_fails_when_events_name_a_course_missing_from_the_catalogue(
    dbt_database: DbtDatabase, tmp_path: Path
) -> None:
    url = dbt_database.url
    platform = build_platform(seed=7)
    ghost_course = uuid.uuid4()
    learner_id = platform.users[0][0]
    _Session(platform, random.Random(1), learner_id, FIRST_DAY + timedelta(days=2)).emit(
        "experienced", "lesson", "intro", course_id=ghost_course
    )
    store(url, platform)

    # The interactions mart, what it reads and the two staging views its relationships tests refer to, with
    # every test among them: where an event's course meets the catalogue. The whole project's build (the
    # module's fixture) passes on the same platform without the orphan.
    returncode, output, statuses = dbt_build(
        url,
        tmp_path,
        "--select",
        "+fct_learner_course_interactions stg_skillstudio__courses stg_skillstudio__users",
        "--indirect-selection",
        "cautious",
        profiles=dbt_database.profiles,
    )

    assert returncode != 0
    failed = [node for node, status in statuses.items() if status in ("fail", "error")]
    assert len(failed) == 1, output
    assert "relationships_fct_learner_course_interactions_course_id" in failed[0]
    # The model was built; the test that follows it caught the orphan.
    orphans = _rows(
        url,
        f"select count(*) from analytics.fct_learner_course_interactions where course_id = '{ghost_course}'",
    )
    assert orphans == [(1,)]


def test_write_profiles_reads_socket_directories_and_host_ports(tmp_path: Path) -> None:
    socket_dir = write_profiles("postgresql+psycopg://postgres@/skillstudio?host=/run/pg", tmp_path / "a")
    remote_dir = write_profiles(
        "postgresql://app:s3cret@db.internal:6543/prod", tmp_path / "b", schema="marts", threads=8
    )

    socket = yaml.safe_load((socket_dir / "profiles.yml").read_text())
    remote = yaml.safe_load((remote_dir / "profiles.yml").read_text())

    assert socket["skillstudio"]["target"] == "main"
    assert socket["skillstudio"]["outputs"]["main"] == {
        "type": "postgres",
        "host": "/run/pg",
        "port": 5432,
        "user": "postgres",
        "password": "",
        "dbname": "skillstudio",
        "schema": "analytics",
        "threads": 3,  # DBT_THREADS: three on two cores (see its comment)
    }
    assert remote["skillstudio"]["outputs"]["main"] == {
        "type": "postgres",
        "host": "db.internal",
        "port": 6543,
        "user": "app",
        "password": "s3cret",
        "dbname": "prod",
        "schema": "marts",
        "threads": 8,
    }


def test_manifest_is_parsed_again_only_when_stale() -> None:
    manifest_path = DBT_PROJECT.manifest_path
    load_manifest()
    os.utime(manifest_path, (0, 0))  # older than every project file

    manifest = load_manifest()
    parsed_at = manifest_path.stat().st_mtime
    assert parsed_at > (DBT_PROJECT.project_dir / "dbt_project.yml").stat().st_mtime
    load_manifest()
    assert manifest_path.stat().st_mtime == parsed_at  # current: not parsed again

    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    # Every SQL file under dbt/models is a model of the manifest, this module's among them.
    assert models == {path.stem for path in (DBT_PROJECT.project_dir / "models").rglob("*.sql")}
    assert models >= MODELS
    assert len(manifest["unit_tests"]) >= 3
