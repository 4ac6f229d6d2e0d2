"""The dbt project in ``dbt/`` as a dagster-dbt ``DbtProject``: its manifest and its database profile.

The manifest is what ``@dbt_assets`` reads when the definitions are imported. ``DbtProject`` parses it
only under ``dagster dev`` (``prepare_if_dev``); everywhere else — tests, ``skillstudio materialize``, the
demo on a fresh clone — ``load_manifest`` has the project's preparer parse it when it is missing or older
than a project file.

``dbt/profiles.yml`` only lets dbt parse (parsing never connects). Runs get a profile written from
SkillStudio's SQLAlchemy URL, so dbt reaches the same database as the app: the embedded server through its
Unix socket directory, or any host:port.

Parsing the project costs seconds of CPU, and dbt parses it again whole whenever its ``--vars`` or the
connection of its profile differ from those of the parse it saved. So a run's refresh window reaches dbt as
environment variables, which the macros read only when executing (dbt/macros/refresh_window.sql,
``refresh_bound``), and each profile keeps one saved parse that every run on it reads
(``SkillStudioDbt``): a day's refresh parses nothing but what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, OpExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject
from dagster_dbt.core.dbt_cli_invocation import PARTIAL_PARSE_FILE_NAME
from filelock import FileLock
from packaging.version import Version
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


# dbt's threads. Its own work per node (compiling, events, a connection per node) holds Python's GIL, so
# two threads on two cores often both wait on it while PostgreSQL idles; a third keeps a statement running
# meanwhile. A day's refresh at 10 million events, four alternating pairs on a busy machine: dbt's graph
# took 5-9 s less with three threads in three pairs (23 s against 28-32 s twice), 3 s more in the fourth.
DBT_THREADS = 3


def profile_for(url: str, *, schema: str = "analytics", threads: int = DBT_THREADS) -> dict[str, Any]:
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


def write_profiles(
    url: str, profiles_dir: Path, *, schema: str = "analytics", threads: int = DBT_THREADS
) -> Path:
    """Write ``profiles.yml`` for profile ``skillstudio``, target ``main``; return the folder."""
    profiles_dir.mkdir(parents=True, exist_ok=True)
    # JSON is YAML too, and needs no YAML library (nor its type stubs).
    content = json.dumps(profile_for(url, schema=schema, threads=threads), indent=2)
    path = profiles_dir / "profiles.yml"
    path.write_text(content + "\n")
    # The file may hold a password.
    path.chmod(0o600)
    return profiles_dir


# The refresh window's bounds as the environment gives them to dbt (refresh_window.sql's refresh_bound).
WINDOW_ENVIRONMENT = {"refresh_from": "SKILLSTUDIO_REFRESH_FROM", "refresh_to": "SKILLSTUDIO_REFRESH_TO"}
# PostgreSQL settings of dbt's sessions, passed as libpq's PGOPTIONS. The server's default work_mem (4 MB)
# is sized for many small OLTP queries; the marts' aggregates, sorts and hash joins over millions of rows
# spill to temporary files with it. dbt runs DBT_THREADS threads, each one statement at a time.
DBT_SESSION_SETTINGS = {"work_mem": "128MB"}
# dagster-dbt copies this process's environment into dbt's when it starts it: the window is set there
# for that moment, one invocation at a time.
_ENVIRONMENT_LOCK = threading.Lock()
# The version of each dbt executable, asked once per process (SkillStudioDbt._cli_version).
_CLI_VERSIONS: dict[str, Version] = {}
# The dbt commands that parse the project (all but deps, clean, debug, init, --version, ...).
_PARSING_COMMANDS = frozenset(
    {
        "build",
        "run",
        "test",
        "seed",
        "snapshot",
        "compile",
        "show",
        "list",
        "ls",
        "docs",
        "source",
        "run-operation",
        "retry",
        "clone",
    }
)


def window_environment(window: Mapping[str, str]) -> dict[str, str]:
    """The environment variables of a refresh window (``refresh_from``/``refresh_to``, ``YYYY-MM-DD``)."""
    unknown = set(window) - set(WINDOW_ENVIRONMENT)
    if unknown:
        raise ValueError(f"a refresh window has refresh_from and refresh_to only, not {sorted(unknown)}")
    for name, value in window.items():
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"the refresh window's {name} must be a date as YYYY-MM-DD, not {value!r}"
            ) from error
    return {WINDOW_ENVIRONMENT[name]: value for name, value in window.items()}


def session_options(given: str | None) -> str:
    """PGOPTIONS for dbt: ``DBT_SESSION_SETTINGS`` after any options the environment already gives."""
    settings = " ".join(f"-c {name}={value}" for name, value in DBT_SESSION_SETTINGS.items())
    return f"{given} {settings}" if given else settings


@contextmanager
def _environment(values: Mapping[str, str | None]) -> Iterator[None]:
    def apply(settings: Mapping[str, str | None]) -> None:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    with _ENVIRONMENT_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        try:
            apply(values)
            yield
        finally:
            apply(saved)


class SkillStudioDbt(DbtCliResource):
    """dagster-dbt's dbt CLI resource, with a refresh window and one saved parse per profile.

    dbt saves its parse (``partial_parse.msgpack``) in each invocation's target folder, which dagster-dbt
    makes new every time, and rejects a saved parse whose profile connects elsewhere: on its own, every
    run would parse the whole project again. Here the first invocation on a profile has ``dbt parse``
    save one next to the profile (``<profiles_dir>/partial_parse/``, keyed by the profile, the dbt version
    and the project's files), and every invocation reads it (``--partial-parse-file-path``); dbt still
    reparses any file changed since, as it always does.
    """

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: Any = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: OpExecutionContext | AssetExecutionContext | None = None,
        target_path: Path | None = None,
        window: Mapping[str, str] | None = None,
    ) -> DbtCliInvocation:
        """Start ``dbt <args>`` over the refresh ``window`` (none: dbt decides, see refresh_window.sql)."""
        environment: dict[str, str | None] = dict.fromkeys(WINDOW_ENVIRONMENT.values())
        environment.update(window_environment(window or {}))
        environment["PGOPTIONS"] = session_options(os.environ.get("PGOPTIONS"))
        # dbt writes its file log (dbt.log in the invocation's target folder) at debug level by default:
        # every event of every node, ten megabytes on a day's refresh at 10 million events, whose 463 data
        # tests took a median 44 ms each with it and 33 ms without. At info it keeps each node's start and
        # result; the SQL that ran is in the target folder's run/. DBT_LOG_LEVEL_FILE in the environment
        # still chooses (debug when looking into a run).
        environment["DBT_LOG_LEVEL_FILE"] = os.environ.get("DBT_LOG_LEVEL_FILE") or "info"
        arguments = list(args)
        if arguments and arguments[0] in _PARSING_COMMANDS:
            saved_parse = self._saved_parse()
            if saved_parse is not None:
                arguments += ["--partial-parse-file-path", str(saved_parse)]
        with _environment(environment):
            return super().cli(
                arguments,
                raise_on_error=raise_on_error,
                manifest=manifest,
                dagster_dbt_translator=dagster_dbt_translator,
                context=context,
                target_path=target_path,
            )

    @cached_property
    def _cli_version(self) -> Version:
        # dagster-dbt asks the executable (`dbt --version`, two seconds of CPU) once per resource, and a
        # resource is made for each run; the answer is one per executable for the life of the process.
        known = _CLI_VERSIONS.get(self.dbt_executable)
        if known is None:
            known = _CLI_VERSIONS[self.dbt_executable] = super()._cli_version
        return known

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        # dagster-dbt opens a dbt adapter in this process before every invocation (its profile, its
        # project, its macros: 0.5-0.9 s, 2.7 s the first time) for one use only, reading the columns
        # of the models' relations when an asset asks for column metadata. No asset here does, so none is
        # made: a day's refresh is that much shorter. The invocation takes no adapter as a valid answer.
        return None

    def _saved_parse(self) -> Path | None:
        if not self.profiles_dir:
            return None
        profiles = Path(self.profiles_dir) / "profiles.yml"
        if not profiles.exists():
            return None
        project = Path(self.project_dir)
        key = hashlib.sha256(
            b"\0".join(
                [
                    profiles.read_bytes(),
                    version("dbt-core").encode(),
                    str(project.resolve()).encode(),
                    repr(_newest_input_mtime(project)).encode(),
                ]
            )
        ).hexdigest()[:20]
        folder = Path(self.profiles_dir) / "partial_parse"
        path = folder / f"{key}.msgpack"
        if path.exists():
            return path
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(folder / ".lock"):
            if path.exists():
                return path
            with tempfile.TemporaryDirectory(dir=folder) as workdir:
                parse = super().cli(["parse"], raise_on_error=False, target_path=Path(workdir))
                parse.wait()
                parsed = Path(workdir) / PARTIAL_PARSE_FILE_NAME
                if not parse.is_successful() or not parsed.exists():
                    # The run that follows parses on its own and reports what is wrong.
                    return None
                # Whole or not at all: a concurrent run reads either no file or this one.
                os.replace(parsed, path)
            for stale in folder.glob("*.msgpack"):
                if stale != path:
                    stale.unlink(missing_ok=True)
        return path


def dbt_resource(
    url: str, profiles_dir: Path, *, schema: str = "analytics", threads: int = DBT_THREADS
) -> SkillStudioDbt:
    """The dbt CLI on the database at ``url``; its profile is (re)written into ``profiles_dir`` first."""
    write_profiles(url, profiles_dir, schema=schema, threads=threads)
    return SkillStudioDbt(
        project_dir=str(DBT_PROJECT.project_dir),
        profiles_dir=str(profiles_dir),
        profile=PROFILE_NAME,
        target=TARGET_NAME,
        dbt_executable=str(DBT_EXECUTABLE),
    )


def _newest_input_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _MANIFEST_INPUTS:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
        if path.is_dir():
            # Folders too: deleting or renaming a model changes only its folder's mtime.
            for entry in path.rglob("*"):
                newest = max(newest, entry.stat().st_mtime)
    return newest


def _is_current(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime(project.project_dir)


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


def build_arguments(window: Mapping[str, str]) -> list[str]:
    """The ``dbt build`` arguments of a run over ``window`` (empty: dbt decides), which is passed to
    ``SkillStudioDbt.cli`` beside them.

    A window's run is a day's refresh: its data tests read the refreshed rows only (dbt/macros/
    test_window.sql), and dbt's unit tests, which check the models' SQL rather than the data, are left to
    full builds and the test suite, where the SQL changes.
    """
    if not window:
        return ["build"]
    return ["build", "--exclude-resource-type", "unit_test"]
