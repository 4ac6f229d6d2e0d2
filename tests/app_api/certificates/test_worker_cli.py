"""``skillstudio certificates render`` draws pending certificates into the configured object storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app_api.demo import seed_demo
from skillstudio.settings import Settings, get_settings


def test_cli_render_draws_the_pending_certificates(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from skillstudio.main.cli import app

    engine = create_engine(fresh_database)
    try:
        with Session(engine) as session:
            seed_demo(session, settings=Settings(home=tmp_path / "seed", database_url=fresh_database))
            # As if the seed had not drawn it: the certificate waits for the worker.
            session.execute(text("update certificates set pdf_key = null, rendered_at = null"))
            session.commit()
            # The demo learner's certificate, and any a classmate earned by finishing a course.
            issued = session.scalar(text("select count(*) from certificates"))
        assert issued is not None and issued >= 1
        monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", fresh_database)
        monkeypatch.setenv("SKILLSTUDIO_HOME", str(tmp_path / "home"))
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["certificates", "render"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.strip().splitlines()[-1]) == {"rendered": issued}
        with engine.connect() as connection:
            drawn = connection.execute(text("select certificate_id, pdf_key from certificates")).all()
        assert len(drawn) == issued
        for certificate_id, key in drawn:
            assert key == f"certificates/{certificate_id}.pdf"
            assert (tmp_path / "home" / "objects" / key).read_bytes().startswith(b"%PDF")
    finally:
        engine.dispose()
