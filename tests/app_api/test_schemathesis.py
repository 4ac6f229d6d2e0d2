"""Issue 4, point 11: schemathesis fuzzes every operation of the OpenAPI and finds no 5xx answer.

The app runs on a database of this module's own, seeded with the demo data (accounts, a published
catalogue, quizzes, an enrollment with progress), with its real session dependency: each request commits
or rolls back like in production, so a request that leaves the transaction broken shows as a 5xx.
Requests go out as the demo admin and as the demo learner. Each operation gets valid and invalid inputs
(schemathesis' positive and negative generation), half of them with the path parameters of real rows, so
that the fuzzed bodies and queries reach the services rather than stopping at a 404.

Bounded: ``MAX_EXAMPLES`` cases per operation and caller, derandomized (the same cases every run), no
shrinking; past ``BUDGET_S`` each remaining operation gets one case only. About 20 s per caller here.
A 5xx from any operation fails the test, listing every failing operation with a curl line to replay it.
This drives schemathesis' strategies from hypothesis directly: its pytest plugin's lazy loader
(``schemathesis.pytest.from_fixture``), needed for an app built by a fixture, fails on pytest 9.2
(``Function`` has no ``_nodeid``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app_api.demo import DemoAccounts, seed_demo
from skillstudio.settings import Settings

MAX_EXAMPLES = 25
BUDGET_S = 35  # per caller
# Path parameters -> the query that finds a real row's id for them.
REAL_IDS = {
    "course_id": "select course_id from courses order by created_at limit 1",
    "module_id": "select module_id from modules limit 1",
    "lesson_id": "select lesson_id from lessons limit 1",
    "skill_id": "select skill_id from skills limit 1",
    "enrollment_id": "select enrollment_id from enrollments limit 1",
    "question_id": "select question_id from questions limit 1",
    "assessment_id": "select assessment_id from assessments limit 1",
    "goal_id": "select goal_id from learning_goals limit 1",
    "attempt_id": "select attempt_id from assessment_attempts limit 1",
    "event_id": "select event_id from learner_events limit 1",
    "quarantine_id": "select quarantine_id from event_quarantine limit 1",
}


@dataclass
class Target:
    demo: DemoAccounts
    tokens: dict[str, str]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def target(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from skillstudio.main.app import create_app

    url = database_factory()
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )
    engine = create_engine(url)
    with Session(engine) as session:
        demo = seed_demo(session, settings=settings)
        session.commit()
    app = create_app(settings)
    with TestClient(app) as client:
        tokens = {}
        for account in (demo.admin, demo.learner):
            login = client.post(
                "/api/v1/auth/login", json={"email": account.email, "password": account.password}
            )
            tokens[account.role] = login.json()["access_token"]
        # A goal, an attempt and a quarantined statement, so that their routes have a real row too.
        learner = {"Authorization": f"Bearer {tokens['learner']}"}
        admin = {"Authorization": f"Bearer {tokens['admin']}"}
        with engine.connect() as connection:
            skill_id = str(connection.scalar(text(REAL_IDS["skill_id"])))
        goal = {
            "deadline": "2099-01-01",
            "hours_per_week": 5,
            "skills": [{"skill_id": skill_id, "target_level": 8}],
        }
        quiz = next(iter(demo.quiz_ids.values()))
        bad_statement = {"actor": {"id": "not-a-uuid"}, "verb": "experienced"}
        for response in (
            client.post("/api/v1/goals", json=goal, headers=learner),
            client.post(f"/api/v1/assessments/{quiz}/attempts", headers=learner),
            client.post("/api/v1/events", json=[bad_statement], headers=admin),
        ):
            assert response.status_code < 300, response.text
        with engine.connect() as connection:
            ids = {name: str(connection.scalar(text(query))) for name, query in REAL_IDS.items()}
        assert "None" not in ids.values(), ids
        yield app, Target(demo=demo, tokens=tokens, ids=ids)
    engine.dispose()


@pytest.fixture(scope="module")
def api_schema(target: Any) -> Any:
    app, _ = target
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _strategy(operation: Any, aimed: Target) -> st.SearchStrategy[Any]:
    """Valid and invalid inputs, with generated path parameters and with real ones."""
    real = {
        name: str(aimed.demo.learner.user_id) if name in ("learner_id", "user_id") else aimed.ids.get(name)
        for name in (parameter.name for parameter in operation.path_parameters)
    }
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if real and all(real.values()):
        strategies += [
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real),
        ]
    return st.one_of(strategies)


def _no_model_yet(path: str, response: Any) -> bool:
    """Serving answers 503 until the pipeline registers a champion model, which this test does not run."""
    return (
        path.endswith("/recommendations")
        and response.status_code == 503
        and "champion" in response.json().get("detail", "")
    )


def _fuzz(api_schema: Any, target: Any, role: str) -> dict[str, int]:
    """Fuzz every operation as ``role``; returns the status codes seen, raises listing every 5xx case."""
    _, aimed = target
    headers = {"Authorization": f"Bearer {aimed.tokens[role]}"}
    statuses: dict[str, int] = {}
    failures: list[str] = []
    started = time.monotonic()
    fuzzed = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        fuzzed += 1
        # Past the budget, every remaining operation still gets one case: bounded time, full coverage.
        examples = MAX_EXAMPLES if time.monotonic() - started < BUDGET_S else 1

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=_strategy(operation, aimed))
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
            if _no_model_yet(case.operation.path, response):
                return
            case.validate_response(response, checks=[not_a_server_error], headers=headers)

        try:
            run()
        except (Exception, FailureGroup) as error:  # every failing operation is reported together
            failures.append(f"{operation.label}: {error}")
    assert failures == [], "server errors:\n" + "\n".join(failures)
    app, _ = target
    operations = sum(len(methods) for methods in app.openapi()["paths"].values())
    assert fuzzed == operations, "every operation of the OpenAPI was fuzzed"
    return statuses


def test_no_server_error_as_admin(api_schema: Any, target: Any) -> None:
    statuses = _fuzz(api_schema, target, "admin")
    assert statuses.get("200", 0) + statuses.get("201", 0) > 0, statuses


def test_no_server_error_as_learner(api_schema: Any, target: Any) -> None:
    statuses = _fuzz(api_schema, target, "learner")
    assert statuses.get("403", 0) > 0, "a learner fuzzing admin and instructor routes meets refusals"


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("POST", "/resubmit")])
def test_quarantine_ids_past_bigint_are_refused(target: Any, method: str, suffix: str) -> None:
    app, aimed = target
    # No lifespan (no `with`): the module's client already started the app.
    client = TestClient(app, raise_server_exceptions=False)
    response = client.request(
        method,
        f"/api/v1/admin/quarantine/{2**70}{suffix}",
        headers={"Authorization": f"Bearer {aimed.tokens['admin']}"},
    )
    # Found by this fuzzing: an unbounded id once reached the database as an out-of-range bigint (500).
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["path.quarantine_id"]
