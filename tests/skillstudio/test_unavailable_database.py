"""When the database cannot be reached, requests answer 503 with Retry-After, never 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from skillstudio.main.app import create_app
from skillstudio.settings import Settings


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/courses"), ("POST", "/api/v1/auth/login")], ids=["read", "write"]
)
def test_a_missing_database_is_a_503_problem(server_url: str, tmp_path: Path, method: str, path: str) -> None:
    gone = make_url(server_url).set(database="skillstudio_no_such_database")
    app = create_app(Settings(home=tmp_path, database_url=gone.render_as_string(hide_password=False)))
    # No lifespan: start-up itself needs the database; a database lost later is what this checks.
    client = TestClient(app, raise_server_exceptions=False)
    body = {"email": "ann@example.org", "password": "irrelevant"} if method == "POST" else None

    response = client.request(method, path, json=body)

    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert "nothing was changed" in response.json()["detail"]
