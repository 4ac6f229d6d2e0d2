"""The analytics API on the warehouses dbt really built (``tests.warehouses``), read as each role would."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from skillstudio.settings import Settings
from skillstudio.web.principals import issue_access_token
from tests.warehouses import INSTRUCTORS, Warehouse

API = "/api/v1/analytics"
ADMIN_ID = uuid.UUID("00000000-0000-4000-8000-0000000000ad")


@dataclass
class Analytics:
    """A client of the API on one warehouse, with tokens minted for any user id and role."""

    client: TestClient
    settings: Settings
    warehouse: Warehouse

    def headers(self, user_id: uuid.UUID, role: str) -> dict[str, str]:
        token = issue_access_token(self.settings, user_id=user_id, role=role)
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, *, as_: tuple[uuid.UUID, str] = (ADMIN_ID, "admin"), **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params=params, headers=self.headers(*as_))

    def ok(self, path: str, *, as_: tuple[uuid.UUID, str] = (ADMIN_ID, "admin"), **params: Any) -> Any:
        response = self.get(path, as_=as_, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def every_page(
        self, path: str, *, as_: tuple[uuid.UUID, str] = (ADMIN_ID, "admin"), **params: Any
    ) -> Any:
        items: list[Any] = []
        cursor = None
        while True:
            page = self.ok(path, as_=as_, **params, **({"cursor": cursor} if cursor else {}))
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def analytics_on(warehouse: Warehouse, home: Any) -> Analytics:
    from skillstudio.main.app import create_app

    settings = Settings(
        home=home, database_url=warehouse.url, jwt_secret="analytics tests, a long enough secret"
    )
    # No lifespan (no `with`): start-up would add partitions to a warehouse other tests read.
    return Analytics(TestClient(create_app(settings)), settings, warehouse)


@pytest.fixture(scope="module")
def generated(generated_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    return analytics_on(generated_warehouse, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def oulad(oulad_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Analytics:
    return analytics_on(oulad_warehouse, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def a_learner(generated_warehouse: Warehouse) -> uuid.UUID:
    [(learner_id,)] = generated_warehouse.rows(
        "select user_id from users where role = 'learner' order by user_id limit 1"
    )
    return learner_id  # type: ignore[no-any-return]


def instructor(n: int) -> tuple[uuid.UUID, str]:
    return INSTRUCTORS[n]


Rows = Callable[..., list[tuple[Any, ...]]]
