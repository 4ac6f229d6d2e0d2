"""The dbt project in ``dbt/``: its profile, its manifest and a way to run it.

The profile is written from SkillStudio's SQLAlchemy URL, so dbt reaches the same database as the app
(the embedded server through its Unix socket directory, or any host:port). dbt runs as a subprocess of
the ``dbt`` executable installed beside this interpreter, never in process, so its global state and
logging stay out of ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from skillstudio.db import libpq_url

DBT_PROJECT_DIR: Path = Path(__file__).resolve().parents[3] / "dbt"
PROFILE_NAME = "skillstudio"
TARGET_NAME = "main"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"

# What `dbt parse` reads: when none of it is newer than the manifest, the manifest is current.
_MANIFEST_INPUTS = ("models", "macros", "tests", "dbt_project.yml")
# Parsing never connects, but dbt insists on a complete profile.
_PARSE_ONLY_URL = "postgresql://dbt@localhost:5432/skillstudio"


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


def _dbt_executable() -> Path:
    return Path(sys.executable).parent / "dbt"


def _dbt_env() -> dict[str, str]:
    # No usage statistics or version checks: dbt must never need the network.
    return {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false"}


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in _MANIFEST_INPUTS:
        path = DBT_PROJECT_DIR / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
        if path.is_dir():
            # Folders too: deleting or renaming a model changes only its folder's mtime.
            for entry in path.rglob("*"):
                newest = max(newest, entry.stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """Return ``dbt/target/manifest.json``, running ``dbt parse`` first when it is missing or stale."""
    if MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_input_mtime():
        return MANIFEST_PATH
    MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
    # Parse into a private folder and move the manifest into place in one step, so that processes
    # importing the Dagster definitions at the same time never read a half-written manifest.
    with tempfile.TemporaryDirectory(dir=MANIFEST_PATH.parent, prefix=".parse-") as scratch:
        scratch_dir = Path(scratch)
        profiles_dir = write_profiles(_PARSE_ONLY_URL, scratch_dir / "profiles")
        completed = subprocess.run(
            [
                str(_dbt_executable()),
                "parse",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(profiles_dir),
                "--target-path",
                str(scratch_dir / "target"),
            ],
            cwd=DBT_PROJECT_DIR,
            env=_dbt_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"dbt parse failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
            )
        os.replace(scratch_dir / "target" / "manifest.json", MANIFEST_PATH)
    return MANIFEST_PATH


def run_dbt(
    args: list[str],
    *,
    url: str,
    profiles_dir: Path,
    schema: str = "analytics",
    threads: int = 2,
    target_path: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` against the database at ``url``; the caller reads the return code.

    The profile in ``profiles_dir`` is (re)written from ``url`` first, so it always names that database.
    ``target_path`` moves dbt's artifacts (run_results.json, compiled SQL) out of ``dbt/target``, for runs
    that must not share them with concurrent ones.
    """
    write_profiles(url, profiles_dir, schema=schema, threads=threads)
    target_args = ["--target-path", str(target_path)] if target_path is not None else []
    return subprocess.run(
        [
            str(_dbt_executable()),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(profiles_dir),
            *target_args,
        ],
        cwd=DBT_PROJECT_DIR,
        env=_dbt_env(),
        capture_output=True,
        text=True,
        check=False,
    )
