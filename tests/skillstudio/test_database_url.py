"""With SKILLSTUDIO_DATABASE_URL set, everything uses that server, not the embedded one."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from skillstudio.db import normalize_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def second_server() -> Iterator[str]:
    """A separately started PostgreSQL: the system's binaries where present, else a second pgserver."""
    system = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not system:
        import pgserver

        folder = Path(tempfile.mkdtemp(prefix="skillstudio-second-"))
        server = pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
        yield server.get_uri()
        server.cleanup()
        return
    bin_dir = Path(system[-1]).parent
    # PostgreSQL refuses to run as root; pgserver's own system user serves for that, as in production.
    run_as = "pgserver" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="skillstudio-second-"))
    folder.chmod(0o755)
    data = folder / "data"
    data.mkdir()
    if run_as:
        shutil.chown(data, user=run_as, group=pwd.getpwnam(run_as).pw_gid)
    port = _free_port()
    initdb = [bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust"]
    subprocess.run(initdb, user=run_as, check=True, capture_output=True)
    subprocess.run(
        [bin_dir / "pg_ctl", "-D", data, "-w", "-l", data / "log", "-o", f"-h 127.0.0.1 -p {port} -k {data}",
         "start"],
        user=run_as, check=True, capture_output=True,
    )  # fmt: skip
    with psycopg.connect(
        f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute("create database skillstudio_elsewhere")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/skillstudio_elsewhere"
    finally:
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-w", "-m", "fast", "stop"], user=run_as,
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def test_cli_writes_to_the_configured_server(second_server: str, tmp_path: Path) -> None:
    env = {**os.environ, "SKILLSTUDIO_DATABASE_URL": second_server, "SKILLSTUDIO_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "skillstudio.main.cli"]
    generated = subprocess.run(
        [*cli, "generate", "--learners", "30", "--courses", "6", "--days", "10", "--seed", "3"],
        env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    counts = json.loads(generated.stdout.strip().splitlines()[-1])
    assert counts["users"] == 30 and counts["courses"] == 6

    url = subprocess.run(
        [*cli, "db", "url"], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert url == normalize_url(second_server).replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(second_server) as conn:
        assert conn.execute("select count(*) from users").fetchone() == (30,)
        version = conn.execute("show server_version_num").fetchone()
        assert version is not None and int(version[0]) >= 150000
        events = conn.execute("select count(*) from learner_events").fetchone()
        assert events is not None and events[0] == counts["events"] > 0
    # Nothing was started under the temporary home: no embedded server was needed.
    assert not (tmp_path / "postgres").exists()
