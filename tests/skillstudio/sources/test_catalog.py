"""The catalogue importer creates and updates courses and skills idempotently and rejects bad rows by line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session

from skillstudio.db import driver_connection, libpq_url
from skillstudio.sources.catalog import CatalogFormatError, import_catalog, slugify
from skillstudio.sources.common import stable_id
from skillstudio.sources.oulad.importer import import_oulad

EDX = Path(__file__).resolve().parents[4] / "shared" / "data" / "catalog" / "edx_courses.csv"
OULAD_SLICE = Path(__file__).parents[2] / "fixtures" / "oulad"
HEADER = "external_id,title,description,subject,level,skills,provider\n"
FIRST = HEADER + (
    # The first row spans lines 2 and 3 (a quoted newline).
    'c-1,Intro to SQL,"Learn SQL, joins\nand more",Data,Introductory,SQL; Databases ;sql,Acme U\n'
    "c-2,Python Basics,,Programming,Introductory,Python;Machine Learning (ML),\n"
    "c-3,,No title,Data,Advanced,,Acme\n"
    "c-4,Too few fields,Data\n"
    "c-1,Duplicate,desc,Data,Advanced,,X\n"
    "c-5,Odd skill,desc,Data,Advanced,!!!;SQL,X\n"
    "\n"
    'c-8,Two lines,"first\nsecond",,Advanced,,X\n'  # lines 10-11, reported at the line it starts on
    "c-6,Statistics,,Mathematics,Intermediate,,\n"
)
FIRST_ERRORS = [
    "line 5: title empty; external_id, title, subject, level are required",
    "line 6: 3 fields, the header has 7",
    "line 7: external_id 'c-1' already on line 2",
    "line 8: skill '!!!' has no letter or digit to name it by",
    "line 10: subject empty; external_id, title, subject, level are required",
]


def write(tmp_path: Path, text: str, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def course_skills(conn: psycopg.Connection) -> dict[str, set[str]]:
    rows = conn.execute(
        "select c.external_id, s.slug from courses c join course_skills cs using (course_id) "
        "join skills s using (skill_id)"
    ).fetchall()
    result: dict[str, set[str]] = {}
    for external_id, slug in rows:
        result.setdefault(external_id, set()).add(slug)
    return result


def test_slugs() -> None:
    assert slugify("Machine Learning (ML)") == "machine-learning-ml"
    assert slugify("  C++ / Systems  ") == "c-systems"
    assert slugify("!!!") == ""


def test_create_then_unchanged_then_update(session: Session, tmp_path: Path) -> None:
    conn = driver_connection(session)
    first = import_catalog(conn, write(tmp_path, FIRST))
    assert json.loads(first.to_json()) == {
        "created": 3, "updated": 0, "unchanged": 0, "skills": 4, "skills_created": 4, "rejected": 5,
    }  # fmt: skip
    assert first.errors == FIRST_ERRORS
    stored = conn.execute(
        "select course_id, external_id, title, description, subject, level, provider, version from courses "
        "where external_id = 'c-1'"
    ).fetchone()
    assert stored == (
        stable_id("course", "c-1"), "c-1", "Intro to SQL", "Learn SQL, joins\nand more", "Data",
        "Introductory", "Acme U", 1,
    )  # fmt: skip
    names = dict(conn.execute("select slug, name from skills").fetchall())
    assert names == {
        "sql": "SQL",
        "databases": "Databases",
        "python": "Python",
        "machine-learning-ml": "Machine Learning (ML)",
    }
    assert course_skills(conn) == {"c-1": {"sql", "databases"}, "c-2": {"python", "machine-learning-ml"}}

    again = import_catalog(conn, write(tmp_path, FIRST))
    assert (again.created, again.updated, again.unchanged, again.skills_created) == (0, 0, 3, 0)

    changed = HEADER + (
        'c-1,Intro to SQL (2nd edition),"Learn SQL, joins\nand more",Data,Introductory,,Acme U\n'
        "c-2,Python Basics,,Programming,Introductory,python,\n"
        "c-6,Statistics,,Mathematics,Intermediate,Statistics,\n"
        "c-7,Linear Algebra,,Mathematics,Advanced,Statistics;Matrices,\n"
    )
    third = import_catalog(conn, write(tmp_path, changed, "changed.csv"))
    assert (third.created, third.updated, third.unchanged, third.rejected) == (1, 3, 0, 0)
    assert (third.skills, third.skills_created) == (3, 2)
    # A row without skills leaves the course's skills alone; a row with skills replaces them.
    assert course_skills(conn) == {
        "c-1": {"sql", "databases"}, "c-2": {"python"}, "c-6": {"statistics"},
        "c-7": {"statistics", "matrices"},
    }  # fmt: skip
    versions = dict(conn.execute("select external_id, version from courses").fetchall())
    assert versions == {"c-1": 2, "c-2": 1, "c-6": 1, "c-7": 1}


def test_files_that_are_not_catalogues_are_refused(session: Session, tmp_path: Path) -> None:
    conn = driver_connection(session)
    with pytest.raises(CatalogFormatError, match="the header lacks level, skills"):
        import_catalog(conn, write(tmp_path, "external_id,title,description,subject,provider\nx,y,z,w,v\n"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "c-1,Café,,Food,Introductory,,\n").encode("latin-1"))
    with pytest.raises(CatalogFormatError, match="not UTF-8"):
        import_catalog(conn, latin1)


@pytest.mark.skipif(not EDX.is_file(), reason=f"the edX catalogue is not at {EDX} (a fresh clone has none)")
def test_edx_catalogue(session: Session) -> None:
    with EDX.open(newline="", encoding="utf-8") as handle:
        in_file = {row["external_id"]: row["title"] for row in csv.DictReader(handle)}
    conn = driver_connection(session)
    first = import_catalog(conn, EDX)
    assert (first.created, first.updated, first.unchanged, first.rejected, first.skills) == (
        len(in_file),
        0,
        0,
        0,
        0,
    )
    stored = dict(
        conn.execute("select external_id, title from courses where external_id like 'edx-%'").fetchall()
    )
    assert stored == in_file
    second = import_catalog(conn, EDX)
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(in_file))


def test_cli_names_oulad_modules_and_reports_rejects(fresh_database: str, tmp_path: Path) -> None:
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        import_oulad(conn, OULAD_SLICE)
    catalogue = write(
        tmp_path,
        HEADER + "oulad:module:AAA,Social Science Foundations,,Social Sciences,Introductory,Sociology,"
        "The Open University\nbad-row,,,,,,\n",
    )
    env = {**os.environ, "SKILLSTUDIO_DATABASE_URL": fresh_database, "SKILLSTUDIO_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "skillstudio.main.cli", "import", "catalog", str(catalogue)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # a row was rejected; the good one is loaded all the same
    assert json.loads(done.stdout) == {
        "created": 0, "updated": 1, "unchanged": 0, "skills": 1, "skills_created": 1, "rejected": 1,
    }  # fmt: skip
    assert f"rejected {catalogue}, line 3: title, subject, level empty" in done.stderr
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        import_oulad(conn, OULAD_SLICE)  # re-importing OULAD keeps the catalogue's title
        row = conn.execute(
            "select title, subject from courses where external_id = 'oulad:module:AAA'"
        ).fetchone()
        assert course_skills(conn) == {"oulad:module:AAA": {"sociology"}}
    assert row == ("Social Science Foundations", "Social Sciences")
