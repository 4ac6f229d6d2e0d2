"""Warehouses shared by the mart and analytics-API tests: a history written once, `dbt build` run once, marts
read by many. A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``), so that each session fixture
exists once for the whole run whichever directories use it.

- ``generated_warehouse``: a small synthetic history (every OLTP table the generator writes, its events and
  its hidden ``truth`` schema), so marts can be checked against raw rows and against the truth. The
  generator makes learners only: ``INSTRUCTORS`` teach its courses here, so instructor marts have rows.
- ``oulad_warehouse``: the hand-made OULAD slice in ``tests/fixtures/oulad`` imported as the importer would
  import the public files, so marts can be checked against the CSV files themselves.
- ``oulad_2013``: the real 2013 OULAD subset beside the checkout (``../shared/data/oulad``), imported once
  (the biggest import of the suite, half a minute): checked against its files by the importer's tests and
  read by the enrollment features' test on real data. Skipped where the subset is absent.

Both runs happen in a non-UTC session time zone: a mart that used local days instead of UTC days would
disagree with the recomputations.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from pipelines.defs.analytics.project import dbt_resource
from skillstudio.db import libpq_url
from skillstudio.sources.oulad.importer import OuladSummary, import_oulad
from skillstudio.sources.synthetic import GeneratorConfig, generate

OULAD_SLICE = Path(__file__).parent / "fixtures" / "oulad"
# The 2013 subset lives outside the repository (SKILLSTUDIO_OULAD_DIR points elsewhere).
OULAD_2013 = Path(
    os.environ.get("SKILLSTUDIO_OULAD_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "oulad")
)
GENERATED = GeneratorConfig(
    learners=240, courses=10, days=45, seed=23, end_date=date(2026, 8, 31), batch_learners=120
)

# Instructors added to the generated history, by course in course_id order: the first two share most
# courses, an admin teaches one, every fifth course has no instructor and the last instructor teaches none.
INSTRUCTORS = (
    (UUID("00000000-0000-4000-8000-00000000001a"), "instructor"),
    (UUID("00000000-0000-4000-8000-00000000001b"), "instructor"),
    (UUID("00000000-0000-4000-8000-00000000001c"), "admin"),
    (UUID("00000000-0000-4000-8000-00000000001d"), "instructor"),
)
TEACHES = (0, 1, 0, 2, None)


@dataclass(frozen=True)
class Warehouse:
    """A database whose marts dbt has built: its URL and each dbt node's status, and the folder of the build
    (``workdir``) when there is one."""

    url: str
    statuses: dict[str, str]
    output: str
    workdir: Path | None = None
    profiles_dir: Path | None = None

    @property
    def profiles(self) -> Path:
        """The build's dbt profile folder, with the project's parse saved for this database: a later dbt
        command given it parses nothing (a new folder would parse the whole project again, ~9 s of CPU)."""
        if self.profiles_dir is not None:
            return self.profiles_dir
        assert self.workdir is not None, "a warehouse built elsewhere has no profile folder"
        return self.workdir / "profiles"

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq_url(self.url)) as conn:
            return conn.execute(query, params or None).fetchall()


def assign_instructors(conn: psycopg.Connection) -> None:
    """Add ``INSTRUCTORS`` and name them as the generated courses' instructors (``TEACHES``, in turn)."""
    conn.cursor().executemany(
        "insert into users (user_id, email, display_name, role, created_at) "
        "values (%s, %s, %s, %s, '2026-06-01T00:00:00Z')",
        [
            (user_id, f"{user_id}@staff.test", f"Staff {n}", role)
            for n, (user_id, role) in enumerate(INSTRUCTORS)
        ],
    )
    courses = [course_id for (course_id,) in conn.execute("select course_id from courses order by course_id")]
    conn.cursor().executemany(
        "update courses set instructor_id = %s where course_id = %s",
        [
            (None if teacher is None else INSTRUCTORS[teacher][0], course_id)
            for course_id, teacher in zip(courses, (TEACHES * len(courses))[: len(courses)], strict=True)
        ],
    )


def add_reviews(conn: psycopg.Connection) -> None:
    """Reviews of the generated courses (the generator writes none): one per learner and course for every
    third enrollment, stars cycling 1-5, every seventh review hidden by a moderator."""
    pairs = conn.execute(
        "select distinct on (user_id, course_id) user_id, course_id from enrollments "
        "order by user_id, course_id, enrollment_id"
    ).fetchall()
    conn.cursor().executemany(
        "insert into course_reviews (review_id, course_id, author_id, stars, body, created_at, updated_at, "
        "hidden_at) values (gen_random_uuid(), %s, %s, %s, 'Generated review', '2026-06-01T00:00:00Z', "
        "'2026-06-01T00:00:00Z', %s)",
        [
            (course_id, user_id, n % 5 + 1, "2026-06-02T00:00:00Z" if n % 7 == 6 else None)
            for n, (user_id, course_id) in enumerate(pairs[::3])
        ],
    )


def dbt_build(
    url: str,
    workdir: Path,
    *args: str,
    window: dict[str, str] | None = None,
    profiles: Path | None = None,
) -> Warehouse:
    """``dbt build`` (over a refresh ``window`` if one is given) in a session whose time zone is not UTC;
    fails the caller on any failed node. ``profiles``: a profile folder other than ``workdir``'s (one that
    has the database's parse saved already, e.g. ``dbt_database``'s)."""
    profiles = profiles or workdir / "profiles"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PGTZ", "Pacific/Auckland")
        invocation = dbt_resource(url, profiles).cli(
            ["build", *args], raise_on_error=False, target_path=workdir / "target", window=window
        )
        output = "\n".join(str(event) for event in invocation.stream_raw_events())
    results = invocation.get_artifact("run_results.json")["results"]
    statuses = {result["unique_id"]: result["status"] for result in results}
    assert invocation.process.returncode == 0, output
    assert statuses, output
    return Warehouse(url=url, statuses=statuses, output=output, workdir=workdir, profiles_dir=profiles)


@pytest.fixture(scope="session")
def generated_warehouse(
    database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    url = database_factory()
    with psycopg.connect(libpq_url(url)) as conn:
        generate(conn, GENERATED)
        assign_instructors(conn)
        add_reviews(conn)
        conn.commit()
    return dbt_build(url, tmp_path_factory.mktemp("dbt-generated"))


@pytest.fixture(scope="session")
def oulad_warehouse(
    database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    url = database_factory()
    with psycopg.connect(libpq_url(url)) as conn:
        import_oulad(conn, OULAD_SLICE)
    # Every data test, on this data; not dbt's unit tests, which check the models' SQL on the rows they give
    # whatever the database holds: they run in generated_warehouse's build.
    yield dbt_build(url, tmp_path_factory.mktemp("dbt-oulad"), "--exclude-resource-type", "unit_test")


@dataclass(frozen=True)
class OuladImport:
    """A database holding an import of ``OULAD_2013``: its URL, the importer's summary and its duration."""

    url: str
    summary: OuladSummary
    seconds: float


@pytest.fixture(scope="session")
def oulad_2013(database_factory: Callable[[], str]) -> OuladImport:
    if not (OULAD_2013 / "studentInfo.csv").is_file():
        pytest.skip(f"the OULAD subset is not at {OULAD_2013} (a fresh clone has none)")
    url = database_factory()
    started = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn:
        summary = import_oulad(conn, OULAD_2013)
    return OuladImport(url=url, summary=summary, seconds=time.perf_counter() - started)
