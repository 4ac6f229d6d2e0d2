"""Issue 4, point 8: every mutating route writes its learner events in the same transaction as its change.

The app runs on a database of this module's own with its real session dependency (one transaction per
request, committed or rolled back), so what is checked is what production commits. For each mutating route
of the OpenAPI (``event_scenarios*.py``):

- a refused call (validation, permission, precondition) commits no event and changes no table;
- a successful call commits exactly the expected events (verb, object type and id, actor), changes exactly
  the expected tables, and does so in one committed transaction that holds the events too.

Exempt, with their reasons: ``POST /api/v1/events`` (its body *is* events; tested by the event-intake
tests), the ``/api/v1/admin/quarantine`` routes (the quarantine's own tests), and ``POST
/api/v1/auth/refresh`` (a token rotation changes nothing a user reads; ``test_refresh_is_the_documented
exemption`` pins what it does write).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from app_api.users.models import User
from skillstudio.settings import Settings
from tests.app_api.event_scenarios import Call, Scenario
from tests.app_api.event_scenarios_learning import SCENARIOS  # the complete table
from tests.app_api.integration_world import API, World
from tests.factories import make_user

MUTATING = {"post", "put", "patch", "delete"}
EXEMPT = {("POST", f"{API}/events"), ("POST", f"{API}/auth/refresh")}
EXEMPT_PREFIXES = (f"{API}/admin/quarantine",)


@dataclass
class Api:
    client: TestClient
    engine: Engine
    commits: list[int]


@pytest.fixture(scope="module")
def api(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from skillstudio.main.app import create_app

    url = database_factory()
    # argon2 at a test-sized cost: the production cost takes ~0.2 s per hash on this machine.
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )
    app = create_app(settings)
    commits: list[int] = []
    app_engine: Engine = app.state.session_factory.kw["bind"]

    def count_commit(connection: Any) -> None:
        commits.append(1)

    event.listen(app_engine, "commit", count_commit)
    engine = create_engine(url)
    try:
        with TestClient(app) as client:
            yield Api(client=client, engine=engine, commits=commits)
    finally:
        event.remove(app_engine, "commit", count_commit)
        engine.dispose()


@pytest.fixture
def world(api: Api) -> World:
    def committed_user(role: str) -> User:
        with Session(api.engine, expire_on_commit=False) as session:
            user = make_user(session, role=role)
            session.commit()
            return user

    return World(api.client, committed_user)


def mutating_operations(client: TestClient) -> set[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method in MUTATING and path.startswith(API)
    }


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.scalars(
                text(
                    "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                    "where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition "
                    "and c.relname <> 'alembic_version' order by 1"
                )
            )
        )


def fingerprint(engine: Engine) -> dict[str, str]:
    """An md5 of every table's rows, so that any insert, update or delete shows as a changed digest."""
    query = " union all ".join(
        f"select '{table}', md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {table} t"
        for table in _tables(engine)
    )
    with engine.connect() as connection:
        return {table: digest for table, digest in connection.execute(text(query))}


def changed_tables(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {table for table, digest in after.items() if before.get(table) != digest}


def event_ids(engine: Engine) -> set[uuid.UUID]:
    with engine.connect() as connection:
        return set(connection.scalars(text("select event_id from learner_events")))


def new_events(engine: Engine, before: set[uuid.UUID]) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "select event_id, verb, object_type, object_id, actor_id, xmin::text as xmin "
                "from learner_events where not (event_id = any(:before))"
            ),
            {"before": list(before)},
        ).mappings()
        return [dict(row) for row in rows]


def send(world: World, call: Call) -> Any:
    return world.call(call.role, call.method, call.path, json=call.json, headers=call.headers)


def test_the_table_covers_every_mutating_route(api: Api) -> None:
    found = {
        key
        for key in mutating_operations(api.client)
        if key not in EXEMPT and not key[1].startswith(EXEMPT_PREFIXES)
    }
    assert found - set(SCENARIOS) == set(), "mutating routes without a scenario in event_scenarios.py"
    assert set(SCENARIOS) - found == set(), "scenarios for routes the OpenAPI no longer has"


@pytest.mark.parametrize("route", sorted(SCENARIOS), ids=lambda route: f"{route[0]} {route[1]}")
def test_change_and_event_commit_together(route: tuple[str, str], api: Api, world: World) -> None:
    case: Scenario = SCENARIOS[route](world)
    assert case.success.method == route[0]

    # A refusal: no event, and no change beyond what it may keep on purpose.
    events_before, tables_before = event_ids(api.engine), fingerprint(api.engine)
    refused = send(world, case.failure)
    assert refused.status_code == case.failure_status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert new_events(api.engine, events_before) == []
    assert changed_tables(tables_before, fingerprint(api.engine)) <= case.failure_may_change

    # Success: exactly the expected events and tables, in the one transaction the request committed.
    events_before, tables_before = event_ids(api.engine), fingerprint(api.engine)
    api.commits.clear()
    response = send(world, case.success)
    assert response.status_code < 300, response.text
    assert len(api.commits) == 1, "a request commits its change and its events once"
    written = new_events(api.engine, events_before)
    body = response.json() if response.content else None
    expected = case.events(body)
    actual = [(row["verb"], row["object_type"], row["object_id"], str(row["actor_id"])) for row in written]
    assert Counter(actual) == Counter(expected)
    assert len({row["xmin"] for row in written}) == 1, "the events were written by one transaction"
    assert changed_tables(tables_before, fingerprint(api.engine)) == case.tables | {"learner_events"}


def test_refresh_is_the_documented_exemption(api: Api, world: World) -> None:
    """Refreshing rotates the token (refresh_tokens changes) and writes no event, by design."""
    account = world.account()
    events_before, tables_before = event_ids(api.engine), fingerprint(api.engine)
    response = world.call(
        "anonymous", "POST", "/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] != account["refresh_token"]
    assert new_events(api.engine, events_before) == []
    assert changed_tables(tables_before, fingerprint(api.engine)) == {"refresh_tokens"}
