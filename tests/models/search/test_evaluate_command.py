"""``skillstudio models evaluate search`` on a small catalogue with skills, with the real model and server.

The fixture's skill names are rarely words of their courses' pages ("Cooking" for "Baking bread at
home"), so full text alone finds few of them while meaning finds most: the command must show that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from skillstudio.db import libpq_url
from skillstudio.main.cli import app
from skillstudio.settings import get_settings

CATALOG = Path(__file__).parents[2] / "fixtures" / "catalog" / "skills_small.csv"


@pytest.fixture
def server_env(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", server_url)
    get_settings.cache_clear()
    yield server_url
    get_settings.cache_clear()


def _databases(server_url: str) -> set[str]:
    """The server's databases but the test suite's own, which another pytest-xdist worker may be creating
    or dropping meanwhile (tests/conftest.py names them skillstudio_test_* and skillstudio_template_*)."""
    admin = libpq_url(make_url(server_url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin) as conn:
        return {
            name
            for (name,) in conn.execute("select datname from pg_database")
            if not name.startswith(("skillstudio_test_", "skillstudio_template_"))
        }


def test_the_command_scores_hybrid_against_keyword_on_skill_queries(server_env: str) -> None:
    before = _databases(server_env)
    result = CliRunner().invoke(app, ["models", "evaluate", "search", "--catalog", str(CATALOG)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    metrics = json.loads(lines[0])
    # Machine Learning (4 courses), Cooking (4), Python (3); the other skills have fewer than 3 courses.
    assert metrics["n_queries"] == 3 and metrics["n_courses"] == 14
    assert (metrics["queries_from"], metrics["hidden"]) == ("skills", ["skills"])
    assert {"p_at_10", "ndcg_at_10", "keyword_p_at_10", "keyword_ndcg_at_10"} <= set(metrics)
    # Perfect precision here is (4 + 4 + 3) / 30: every relevant course in the first ten.
    assert metrics["semantic_p_at_10"] == pytest.approx(11 / 30, abs=0.034)
    assert metrics["p_at_10"] >= metrics["semantic_p_at_10"] - 0.034
    assert metrics["keyword_p_at_10"] < 0.2 < metrics["p_at_10"]
    assert metrics["ndcg_at_10"] > metrics["keyword_ndcg_at_10"] + 0.3
    # The fixed halves: 1 dev query and 2 held out, each half's figures averaging to the whole.
    dev, held_out = metrics["dev"], metrics["held_out"]
    assert (dev["n_queries"], held_out["n_queries"]) == (1, 2)
    for key in ("p_at_10", "ndcg_at_10", "keyword_p_at_10", "keyword_ndcg_at_10"):
        assert (dev[key] + 2 * held_out[key]) / 3 == pytest.approx(metrics[key], abs=1e-4)
    assert _databases(server_env) == before  # the scratch database is gone


def test_a_file_that_is_not_a_catalogue_fails_with_the_reason(server_env: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,x\n")
    result = CliRunner().invoke(app, ["models", "evaluate", "search", "--catalog", str(bad)])
    assert result.exit_code == 1
    assert "the header lacks external_id" in " ".join(result.output.split())
