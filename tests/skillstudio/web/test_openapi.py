"""The OpenAPI tells the truth: every operation's errors, preconditions, security and 405 answers.

Checked on the real app's document, operation by operation. Security is checked against
``tests/app_api/access_rules.RULES`` (who may call what, itself run against the app), so a route added
without a rule fails there, and a route whose document disagrees with its rule fails here. Whether the
documented statuses are the ones answered is schemathesis' part (``tests/app_api/test_schemathesis.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from skillstudio.settings import Settings
from skillstudio.web.problems import PROBLEM_JSON
from tests.app_api.access_rules import RULES

API = "/api/v1"
# Versioned items: changing or deleting one needs the ETag of the version read (428 without it).
IF_MATCH_REQUIRED = {
    (method, f"{API}{path}")
    for path in (
        "/skills/{skill_id}",
        "/courses/{course_id}",
        "/modules/{module_id}",
        "/lessons/{lesson_id}",
        "/questions/{question_id}",
        "/assessments/{assessment_id}",
    )
    for method in ("PATCH", "DELETE")
}
# A course's status changes take an If-Match when sent and any version without one.
IF_MATCH_OPTIONAL = {
    ("POST", f"{API}/courses/{{course_id}}/{action}") for action in ("publish", "unpublish", "archive")
}
PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    from skillstudio.main.app import create_app

    # No request here reaches the database: the document is built from the routes, and 405 is decided by
    # routing before any dependency runs.
    home: Path = tmp_path_factory.mktemp("home")
    return create_app(Settings(home=home, database_url="postgresql+psycopg://nobody@127.0.0.1:9/none"))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return TestClient(app).get("/openapi.json").json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def _headers(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"].lower(): p for p in operation.get("parameters", []) if p["in"] == "header"}


def test_every_error_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    wrong = [
        (method, path, code)
        for method, path, operation in _operations(document)
        for code, response in operation["responses"].items()
        if int(code) >= 400 and response.get("content") != PROBLEM
    ]
    assert wrong == []
    assert {"type", "title", "status", "detail"} <= set(
        document["components"]["schemas"]["Problem"]["required"]
    )
    # FastAPI's own 422 body is never answered, so it is not in the document.
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_operation_documents_the_errors_its_inputs_and_database_imply(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        codes = set(operation["responses"])
        assert "500" in codes, (method, path)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in codes, (method, path)
        if "requestBody" in operation:
            assert "400" in codes, (method, path)
        if path.startswith(API):
            assert "503" in codes, (method, path)
        if operation.get("security"):
            assert "401" in codes, (method, path)
        path_ids = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        if any(name != "learner_id" for name in path_ids):
            assert "404" in codes, (method, path)


def test_every_list_taking_a_cursor_documents_its_refusal(document: dict[str, Any]) -> None:
    """A cursor from another list, or one the API never issued, is a 400 (``app_api.common.pagination``)."""
    lists = [
        (method, path, operation)
        for method, path, operation in _operations(document)
        if any(p["in"] == "query" and p["name"] == "cursor" for p in operation.get("parameters", []))
    ]
    assert len(lists) >= 15  # every keyset-paged list of the API
    for method, path, operation in lists:
        refused = operation["responses"].get("400", {})
        assert "cursor" in refused.get("description", ""), (method, path)
        assert refused["content"] == PROBLEM, (method, path)


def test_if_match_is_required_where_a_missing_one_is_refused(document: dict[str, Any]) -> None:
    required, optional = set(), set()
    for method, path, operation in _operations(document):
        header = _headers(operation).get("if-match")
        if header is None:
            continue
        assert "412" in operation["responses"], (method, path)
        if header.get("required"):
            required.add((method, path))
            assert "428" in operation["responses"], (method, path)
        else:
            optional.add((method, path))
            assert "428" not in operation["responses"], (method, path)
    assert required == IF_MATCH_REQUIRED
    assert optional == IF_MATCH_OPTIONAL


def test_security_matches_who_may_call(document: dict[str, Any]) -> None:
    """No token needed: no security, or ``{}`` among the alternatives; otherwise a token.

    A token is needed where the access matrix refuses anonymous callers with 401; an anonymous caller
    who is allowed, or refused with 404 (a draft course, hidden from them as from other learners), is
    served without one.
    """
    for method, path, operation in _operations(document):
        if not path.startswith(API):
            assert "security" not in operation, (method, path)
            continue
        security = operation.get("security", [])
        rule = RULES[(method, path)]
        if "anonymous" in rule.allowed or rule.refusal == {404}:
            assert security == [] or {} in security, (method, path, security)
        else:
            assert security and {} not in security, (method, path, security)
    # Sign-in routes read no token at all, so they declare none.
    assert "security" not in document["paths"][f"{API}/auth/login"]["post"]
    # The catalogue reads a token when one is sent (drafts for their authors), so security is optional.
    assert document["paths"][f"{API}/courses"]["get"]["security"] == [{}, {"HTTPBearer": []}]


def test_405_allows_exactly_the_documented_methods(app: FastAPI, document: dict[str, Any]) -> None:
    client = TestClient(app)
    for path, methods in document["paths"].items():
        documented = {method.upper() for method in methods}
        url = re.sub(r"\{quarantine_id\}", "1", path)
        url = re.sub(r"\{[a-z_]+\}", "3fa85f64-5717-4562-b3fc-2c963f66afa6", url)
        for method in ("OPTIONS", *sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - documented)):
            response = client.request(method, url)
            assert response.status_code == 405, (method, path, response.text)
            assert set(response.headers["allow"].split(", ")) == documented, (method, path)
            assert response.headers["content-type"] == PROBLEM_JSON
