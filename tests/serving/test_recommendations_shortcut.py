"""The recommendations route's shortcut (serving.router.well_formed): it takes only requests the declared
dependencies would let through with the same learner and ``k``, and leaves every other to them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from models.recommender.train import train_course_recommender
from serving.router import well_formed
from skillstudio.settings import Settings
from skillstudio.web.principals import Principal
from skillstudio.web.security import current_user, issue_access_token
from tests.serving.test_recommendations import PARAMS, admin, as_user, interactions
from tests.serving.test_recommendations import catalogue as catalogue  # the fixture, shared

LEARNER = uuid.UUID("3f1c2a7e-9b4d-4e2a-8c1f-0a9b8c7d6e5f")
OTHER = uuid.UUID("0d5e6f7a-1b2c-4d3e-9f8a-7b6c5d4e3f2a")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, jwt_secret="s" * 48)


def token(settings: Settings, user_id: uuid.UUID = LEARNER, role: str = "learner", **kwargs: Any) -> str:
    return issue_access_token(settings, user_id=user_id, role=role, **kwargs)


def check(
    settings: Settings,
    *,
    learner: str = str(LEARNER),
    query: bytes = b"k=5",
    authorization: str | None = None,
    overrides: dict[object, object] | None = None,
) -> tuple[uuid.UUID, int] | None:
    app = SimpleNamespace(state=SimpleNamespace(settings=settings), dependency_overrides=overrides or {})
    headers = [(b"host", b"test")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    return well_formed(app, learner, query, headers)


def test_the_common_request_is_taken_with_its_learner_and_k(settings: Settings) -> None:
    own = f"Bearer {token(settings)}"
    assert check(settings, authorization=own) == (LEARNER, 5)
    assert check(settings, authorization=own, query=b"") == (LEARNER, 10)
    assert check(settings, authorization=own, query=b"k=100") == (LEARNER, 100)
    assert check(settings, authorization=f"bearer {token(settings)}") == (LEARNER, 5)
    admin_token = f"Bearer {token(settings, uuid.uuid4(), 'admin')}"
    assert check(settings, learner=str(OTHER), authorization=admin_token) == (OTHER, 5)


@pytest.mark.parametrize(
    "query", [b"k=0", b"k=101", b"k=1000", b"k=05", b"k=", b"k=5&k=6", b"k=5&x=1", b"x=1", b"k=-1", b"k=5.0"]
)
def test_any_other_query_is_left_to_the_declared_route(settings: Settings, query: bytes) -> None:
    assert check(settings, query=query, authorization=f"Bearer {token(settings)}") is None


@pytest.mark.parametrize(
    "learner",
    [
        str(LEARNER).upper(),
        LEARNER.hex,
        "{" + str(LEARNER) + "}",
        f"urn:uuid:{LEARNER}",
        "not-a-uuid",
        str(LEARNER)[:-1] + "g",
    ],
)
def test_a_learner_id_not_in_canonical_form_is_left_to_the_declared_route(
    settings: Settings, learner: str
) -> None:
    admin_token = f"Bearer {token(settings, uuid.uuid4(), 'admin')}"
    assert check(settings, learner=learner, authorization=admin_token) is None


def test_a_missing_bad_or_foreign_token_is_left_to_the_declared_route(settings: Settings) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    elsewhere = Settings(home=settings.home, jwt_secret="t" * 48)
    for authorization in (
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Basic {token(settings)}",
        f"Token {token(settings)}",
        "Bearer not-a-token",
        f"Bearer {token(settings, now=long_ago)}",  # expired
        f"Bearer {token(elsewhere)}",  # signed with another secret
        f"Bearer {token(settings, OTHER)}",  # another learner's
        f"Bearer {token(settings, uuid.uuid4(), 'instructor')}",
    ):
        assert check(settings, authorization=authorization) is None, authorization


def test_overridden_dependencies_are_always_resolved(settings: Settings) -> None:
    own = f"Bearer {token(settings)}"
    overrides: dict[object, object] = {current_user: lambda: Principal(OTHER, "learner")}
    assert check(settings, authorization=own, overrides=overrides) is None
    unrelated: dict[object, object] = {object(): object()}
    assert check(settings, authorization=own, overrides=unrelated) == (LEARNER, 5)


@pytest.mark.usefixtures("catalogue")
def test_the_declared_route_still_answers_what_the_shortcut_leaves(client: TestClient) -> None:
    train_course_recommender(
        interactions(), tracking_uri=client.app.state.settings.tracking_uri, params=PARAMS
    )
    learner = uuid.uuid5(uuid.NAMESPACE_URL, "a0")
    url = f"/api/v1/learners/{learner}/recommendations"
    taken = client.get(url, params={"k": 3}, headers=as_user(client, learner))
    assert taken.status_code == 200 and len(taken.json()["items"]) == 3
    # Upper-case id, an extra parameter, a lower-case scheme with padding: all go through the dependencies.
    upper = client.get(
        f"/api/v1/learners/{str(learner).upper()}/recommendations",
        params={"k": 3},
        headers=as_user(client, learner),
    )
    assert upper.status_code == 200 and upper.json()["items"] == taken.json()["items"]
    extra = client.get(url, params={"k": 3, "utm": "mail"}, headers=admin(client))
    assert extra.status_code == 200 and extra.json()["items"] == taken.json()["items"]
    # An override of who is calling wins over a valid token (the shortcut would have let the admin in).
    client.app.dependency_overrides[current_user] = lambda: Principal(uuid.uuid4(), "learner")
    try:
        refused = client.get(url, headers=admin(client))
    finally:
        del client.app.dependency_overrides[current_user]
    assert refused.status_code == 403
    assert client.get(url, headers=admin(client)).status_code == 200


@pytest.mark.usefixtures("catalogue")
def test_a_well_formed_request_is_answered_before_routing_once_the_cache_is_warm(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    train_course_recommender(
        interactions(), tracking_uri=client.app.state.settings.tracking_uri, params=PARAMS
    )
    client.app.state.served_log.flush_seconds = 3600  # the queue is counted below, not written
    learner = uuid.uuid5(uuid.NAMESPACE_URL, "a0")
    url = f"/api/v1/learners/{learner}/recommendations"
    first = client.get(url, headers=as_user(client, learner))  # loads the model and the snapshot
    assert first.status_code == 200
    logged = len(client.app.state.served_log)

    async def declared_route_called(*args: object) -> None:
        raise AssertionError("the declared route was reached")

    monkeypatch.setattr("serving.router.answer", declared_route_called)
    again = client.get(url, headers=as_user(client, learner))
    assert again.status_code == 200 and again.headers["content-type"] == "application/json"
    assert again.json() == first.json()
    assert len(client.app.state.served_log) == logged + 1  # still logged as served
    with pytest.raises(AssertionError, match="declared route"):
        client.get(f"/api/v1/learners/{str(learner).upper()}/recommendations", headers=admin(client))
