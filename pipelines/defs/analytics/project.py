"""The dbt project in ``dbt/`` as a dagster-dbt ``DbtProject``: its manifest and its database profile.

The manifest is what ``@dbt_assets`` reads when the definitions are imported. ``DbtProject`` parses it
only under ``dagster dev`` (``prepare_if_dev``); everywhere else — tests, ``skillstudio materialize``, the
demo on a fresh clone — ``load_manifest`` has the project's preparer parse it when it is missing or older
than a project file.

``dbt/profiles.yml`` only lets dbt parse (parsing never connects). Runs get a profile written from
SkillStudio's SQLAlchemy URL, so dbt reaches the same database as the app: the embedded server through its
Unix socket directory, or any host:port.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from filelock import FileLock
from sqlalchemy.engine import make_url

from skillstudio.db import libpq_url

DBT_PROJECT_DIR: Path = Path(__file__).resolve().parents[3] / "dbt"
DBT_EXECUTABLE: Path = Path(sys.executable).parent / "dbt"
PROFILE_NAME = "skillstudio"
TARGET_NAME = "main"

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profile=PROFILE_NAME, target=TARGET_NAME)

# What `dbt parse` reads: when none of it is newer than the manifest, the manifest is current.
_MANIFEST_INPUTS = ("models", "macros", "tests", "dbt_project.yml")


def _query_value(value: str | tuple[str, ...] | None) -> str | None:
    if isinstance(value, tuple):
        return value[-1] if value else None
    return value


def profile_for(url: str, *, schema: str = "analytics", threads: int = 2) -> dict[str, Any]:
    """The ``profiles.yml`` content for a SQLAlchemy or libpq URL."""
    parsed = make_url(libpq_url(url))
    host = _query_value(parsed.query.get("host")) or parsed.host or "localhost"
    port = parsed.port or int(_query_value(parsed.query.get("port")) or 5432)
    output = {
        "type": "postgres",
        "host": host,
        "port": port,
        "user": parsed.username or "postgres",
        "password": parsed.password or "",
        "dbname": parsed.database or "postgres",
        "schema": schema,
        "threads": threads,
    }
    return {PROFILE_NAME: {"target": TARGET_NAME, "outputs": {TARGET_NAME: output}}}


def write_profiles(url: str, profiles_dir: Path, *, schema: str = "analytics", threads: int = 2) -> Path:
    """Write ``profiles.yml`` for profile ``skillstudio``, target ``main``; return the folder."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    # JSON is YAML too, and needs no YAML library (nor its type stubs).
    content = json.dumps(profile_for(url, schema=schema, threads=threads), indent=2)
    path = profiles_dir / "profiles.yml"
    path.write_text(content + "\n")
    # The file may hold a password.
    path.chmod(0o600)
    return profiles_dir


def dbt_resource(
    url: str, profiles_dir: Path, *, schema: str = "analytics", threads: int = 2
) -> DbtCliResource:
    """The dbt CLI on the database at ``url``; its profile is (re)written into ``profiles_dir`` first."""
    write_profiles(url, profiles_dir, schema=schema, threads=threads)
    return DbtCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(profiles_dir), dbt_executable=str(DBT_EXECUTABLE)
    )


def _newest_input_mtime(project: DbtProject) -> float:
    newest = 0.0
    for name in _MANIFEST_INPUTS:
        path = project.project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
        if path.is_dir():
            # Folders too: deleting or renaming a model changes only its folder's mtime.
            for entry in path.rglob("*"):
                newest = max(newest, entry.stat().st_mtime)
    return newest


def _is_current(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime(project)


def _put_dbt_on_path() -> None:
    # The preparer runs the `dbt` it finds on PATH, and a virtualenv used without activation
    # (`.venv/bin/skillstudio demo`, `.venv/bin/python -m pytest`) does not put its own there.
    if shutil.which("dbt") != str(DBT_EXECUTABLE):
        os.environ["PATH"] = os.pathsep.join([str(DBT_EXECUTABLE.parent), os.environ.get("PATH", "")])


def load_manifest(project: DbtProject = DBT_PROJECT) -> dict[str, Any]:
    """The project's manifest, parsed first under ``dagster dev`` or when it is missing or stale."""
    _put_dbt_on_path()
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    # dbt rewrites the manifest in place. Deciding and reading under one lock keeps a process that
    # imports the definitions from reading a manifest that another one is rewriting.
    with FileLock(project.manifest_path.with_name(".manifest.lock")):
        project.prepare_if_dev()
        if not _is_current(project):
            project.preparer.prepare(project)
        manifest: dict[str, Any] = json.loads(project.manifest_path.read_text())
    return manifest


def build_arguments(window: dict[str, str]) -> list[str]:
    """The ``dbt build`` arguments of a run over ``window`` (refresh vars; empty: dbt decides).

    A window's run is a day's refresh: its data tests read the refreshed rows only (dbt/macros/
    test_window.sql), and dbt's unit tests, which check the models' SQL rather than the data, are left to
    full builds and the test suite, where the SQL changes.
    """
    if not window:
        return ["build"]
    return ["build", "--vars", json.dumps(window), "--exclude-resource-type", "unit_test"]
