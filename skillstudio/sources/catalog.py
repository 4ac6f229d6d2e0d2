"""Import a course catalogue in SkillStudio's generic CSV format, creating or updating courses and skills.

The format (``../shared/data/README.md``) is a header row naming ``external_id, title, description, subject,
level, skills, provider`` (any order; other columns are ignored) and one course per row. ``description``,
``skills`` and ``provider`` may be empty; ``skills`` are separated by ``;``.

- A course is matched by ``external_id``: created when new, updated when a field differs, left alone
  otherwise, so importing the same file twice changes nothing. The ids ``oulad:module:AAA``... name the
  courses of an OULAD import, so a catalogue can give those anonymised modules titles and subjects.
- A skill is matched by its slug (lowercase, every run of other characters -> ``-``): "Machine Learning"
  and "machine-learning" are one skill, created with the name first seen.
- A row that lists skills makes them the course's skill set (links it no longer lists are removed); a row
  with an empty ``skills`` leaves the course's skills alone, so a catalogue without skills never wipes a
  taxonomy curated elsewhere.
- A malformed row is rejected with its line number and the reason; every other row is still loaded.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from skillstudio.sources.common import stable_id, upsert

COLUMNS = ("external_id", "title", "description", "subject", "level", "skills", "provider")
REQUIRED = ("external_id", "title", "subject", "level")
SKILL_SEPARATOR = ";"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class CatalogFormatError(ValueError):
    """The file as a whole cannot be read as a catalogue (no header, missing columns, not UTF-8)."""


def slugify(name: str) -> str:
    """``"Machine Learning (ML)"`` -> ``"machine-learning-ml"``."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")


@dataclass
class CatalogRow:
    line: int
    external_id: str
    title: str
    description: str | None
    subject: str
    level: str
    provider: str | None
    skills: dict[str, str]  # slug -> name as written


@dataclass
class CatalogSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skills: int = 0
    skills_created: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The one-line JSON summary (the rejected rows' reasons are in ``errors``, not in the line)."""
        counts = {name: value for name, value in self.__dict__.items() if name != "errors"}
        return json.dumps(counts)


def _parse_row(values: dict[str, str], line: int, seen: dict[str, int]) -> CatalogRow:
    """One row, or ``ValueError`` saying what is wrong with it."""
    empty = [column for column in REQUIRED if not values[column]]
    if empty:
        raise ValueError(f"{', '.join(empty)} empty; {', '.join(REQUIRED)} are required")
    external_id = values["external_id"]
    if external_id in seen:
        raise ValueError(f"external_id {external_id!r} already on line {seen[external_id]}")
    skills: dict[str, str] = {}
    for name in (part.strip() for part in values["skills"].split(SKILL_SEPARATOR)):
        if not name:
            continue
        slug = slugify(name)
        if not slug:
            raise ValueError(f"skill {name!r} has no letter or digit to name it by")
        skills.setdefault(slug, name)
    return CatalogRow(
        line=line, external_id=external_id, title=values["title"], description=values["description"] or None,
        subject=values["subject"], level=values["level"], provider=values["provider"] or None, skills=skills,
    )  # fmt: skip


def parse_catalog(path: Path) -> tuple[list[CatalogRow], list[str]]:
    """The good rows of a catalogue file and one ``line N: reason`` per rejected row."""
    rows: list[CatalogRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            missing = [column for column in COLUMNS if column not in header]
            if missing:
                raise CatalogFormatError(
                    f"{path}: the header lacks {', '.join(missing)}; it must name {','.join(COLUMNS)}"
                )
            position = {column: header.index(column) for column in COLUMNS}
            line = reader.line_num + 1  # a quoted field may span lines: report where the row starts
            for fields in reader:
                start, line = line, reader.line_num + 1
                if not any(value.strip() for value in fields):
                    continue
                if len(fields) != len(header):
                    errors.append(f"line {start}: {len(fields)} fields, the header has {len(header)}")
                    continue
                values = {column: fields[index].strip() for column, index in position.items()}
                try:
                    row = _parse_row(values, start, seen)
                except ValueError as error:
                    errors.append(f"line {start}: {error}")
                    continue
                seen[row.external_id] = start
                rows.append(row)
    except UnicodeDecodeError as error:
        raise CatalogFormatError(f"{path} is not UTF-8 text ({error}); save it as UTF-8 CSV") from error
    except csv.Error as error:
        raise CatalogFormatError(f"{path} line {reader.line_num}: {error}") from error
    return rows, errors


def import_catalog(conn: psycopg.Connection, path: Path) -> CatalogSummary:
    """Create or update the catalogue's courses and skills in the caller's transaction."""
    rows, errors = parse_catalog(Path(path))
    summary = CatalogSummary(rejected=len(errors), errors=errors)
    fields = ("title", "description", "subject", "level", "provider")
    courses = upsert(
        conn,
        "courses",
        ("course_id", "external_id", *fields),
        [(stable_id("course", row.external_id), row.external_id, row.title, row.description, row.subject,
          row.level, row.provider) for row in rows],
        key=("external_id",),
        update=fields,
        # version backs the API's ETags: an edit by import must invalidate them like any other edit.
        on_change={"updated_at": "now()", "version": "courses.version + 1"},
    )  # fmt: skip
    created = {external_id for (external_id,) in courses.inserted}
    changed = {external_id for (external_id,) in courses.updated}

    names: dict[str, str] = {}
    for row in rows:
        for slug, name in row.skills.items():
            names.setdefault(slug, name)
    skills = upsert(
        conn,
        "skills",
        ("skill_id", "slug", "name"),
        [(stable_id("skill", slug), slug, name) for slug, name in names.items()],
        key=("slug",),
    )
    summary.skills = len(names)
    summary.skills_created = len(skills.inserted)
    changed |= _link_skills(conn, [row for row in rows if row.skills], names)

    summary.created = len(created)
    summary.updated = len(changed - created)
    summary.unchanged = len(rows) - summary.created - summary.updated
    return summary


def _link_skills(conn: psycopg.Connection, rows: list[CatalogRow], names: dict[str, str]) -> set[str]:
    """Make each row's skills its course's skill set; return the external ids whose set changed."""
    if not rows:
        return set()
    skill_ids: dict[str, uuid.UUID] = dict(
        conn.execute("select slug, skill_id from skills where slug = any(%s)", (list(names),)).fetchall()
    )
    course_ids: dict[str, uuid.UUID] = dict(
        conn.execute(
            "select external_id, course_id from courses where external_id = any(%s)",
            ([row.external_id for row in rows],),
        ).fetchall()
    )
    conn.execute("create temp table if not exists incoming_course_skills (like course_skills) on commit drop")
    conn.execute("truncate incoming_course_skills")
    with conn.cursor().copy("copy incoming_course_skills (course_id, skill_id) from stdin") as copy:
        for row in rows:
            for slug in row.skills:
                copy.write_row((course_ids[row.external_id], skill_ids[slug]))
    removed = conn.execute(
        "delete from course_skills where course_id in (select course_id from incoming_course_skills) "
        "and (course_id, skill_id) not in (select course_id, skill_id from incoming_course_skills) "
        "returning course_id"
    ).fetchall()
    added = conn.execute(
        "insert into course_skills (course_id, skill_id) select course_id, skill_id "
        "from incoming_course_skills on conflict do nothing returning course_id"
    ).fetchall()
    external = {course_id: external_id for external_id, course_id in course_ids.items()}
    return {external[course_id] for (course_id,) in removed + added}
