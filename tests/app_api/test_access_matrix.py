"""Issue 4, point 11: who may call every route, and the tokens' lifetime.

``access_rules.RULES`` holds one rule per operation of the OpenAPI (the first test fails when a route
is added without one). Each rule is run for the six callers against rows owned by learner A and
instructor X: the allowed ones succeed, the others are refused with problem+json and write no event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from skillstudio.web.security import issue_access_token
from tests.app_api.access_resources import Resources
from tests.app_api.access_rules import CSRF, PAGE_RULES, RULES
from tests.app_api.auth.helpers import cheap_argon2
from tests.app_api.integration_world import API, PASSWORD, ROLES, World
from tests.factories import make_user

__all__ = ["cheap_argon2"]


@pytest.fixture
def world(client: TestClient, session: Session) -> World:
    return World(client, lambda role: make_user(session, role=role))


def _events(session: Session) -> int:
    return session.scalar(text("select count(*) from learner_events")) or 0


def test_the_rules_cover_every_operation(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    found = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert found - set(RULES) == set(), "operations without a rule in access_rules.py"
    assert set(RULES) - found == set(), "rules for operations the OpenAPI no longer has"


@pytest.mark.parametrize("route", sorted(RULES), ids=lambda route: f"{route[0]} {route[1]}")
def test_each_role_gets_what_the_rule_says(route: tuple[str, str], world: World, session: Session) -> None:
    rule = RULES[route]
    resources = Resources(world, session)
    # Refused callers first, so that the allowed ones find the rows as the refused ones did.
    for role in sorted(ROLES, key=lambda name: name in rule.allowed):
        method, path, kwargs = rule.build(resources, role)
        assert method == route[0]
        url = path if path.startswith("/health") else f"{API}{path}"
        before = _events(session)
        headers = {**world.headers(role), **kwargs.pop("headers", {})}
        response = world.client.request(method, url, headers=headers, **kwargs)
        if role in rule.allowed:
            succeeded = response.status_code in rule.success if rule.success else response.status_code < 300
            assert succeeded, f"{role}: {response.status_code} {response.text}"
            if rule.check is not None:
                rule.check(resources, role, response.json())
            continue
        refused = {401} if role == "anonymous" and rule.refusal != {404} else rule.refusal
        assert response.status_code in refused, (
            f"{role} was not refused: {response.status_code} {response.text}"
        )
        assert response.headers["content-type"].startswith("application/problem+json")
        assert _events(session) == before, f"the refusal of {role} wrote an event"


def test_a_learner_cannot_read_another_learners_recommendations(world: World) -> None:
    response = world.call("other_learner", "GET", f"/learners/{world.id('learner')}/recommendations")
    assert response.status_code == 403
    assert "learner themselves" in response.json()["detail"]


# ---- tokens


def test_an_expired_access_token_is_refused(world: World) -> None:
    settings = world.settings
    user = world.users["learner"]
    issued = datetime.now(UTC) - timedelta(minutes=settings.access_token_minutes, seconds=5)
    expired = issue_access_token(settings, user_id=user.user_id, role=user.role, now=issued)
    fresh = issue_access_token(settings, user_id=user.user_id, role=user.role)
    me = f"{API}/me"
    assert world.client.get(me, headers={"Authorization": f"Bearer {fresh}"}).json()["user_id"] == str(
        user.user_id
    )
    response = world.client.get(me, headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_forged_and_refresh_tokens_are_not_access_tokens(world: World) -> None:
    user = world.users["learner"]
    claims = {
        "sub": str(user.user_id),
        "role": "admin",
        "type": "access",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    forged = jwt.encode(claims, "not the server's secret, though just as long", algorithm="HS256")
    assert world.client.get(f"{API}/users", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    refresh = world.account()["refresh_token"]
    assert world.client.get(f"{API}/me", headers={"Authorization": f"Bearer {refresh}"}).status_code == 401


def test_a_revoked_refresh_token_fails(world: World) -> None:
    account = world.account()
    assert (
        world.call(
            "anonymous", "POST", "/auth/logout", json={"refresh_token": account["refresh_token"]}
        ).status_code
        == 204
    )
    response = world.call(
        "anonymous", "POST", "/auth/refresh", json={"refresh_token": account["refresh_token"]}
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_reused_refresh_token_ends_its_whole_session(world: World) -> None:
    account = world.account()
    first = account["refresh_token"]
    rotated = world.call("anonymous", "POST", "/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    reused = world.call("anonymous", "POST", "/auth/refresh", json={"refresh_token": first})
    assert (reused.status_code, reused.json()["reason"]) == (401, "refresh_token_reused")
    # The thief's reuse revoked the successor too: the session is over for both holders.
    assert world.call("anonymous", "POST", "/auth/refresh", json={"refresh_token": second}).status_code == 401
    relogin = world.call(
        "anonymous", "POST", "/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    assert relogin.status_code == 200


# ---- web pages (issue 14): the same roles through a cookie session


def test_the_page_rules_cover_every_page() -> None:
    from fastapi.routing import APIRoute

    from app_api.pages.install import PAGE_ROUTERS

    pages = {
        (method, route.path)
        for router in PAGE_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert pages - set(PAGE_RULES) == set(), "pages without a rule in access_rules.PAGE_RULES"
    assert set(PAGE_RULES) - pages == set(), "page rules for pages the app no longer has"


@pytest.mark.parametrize("route", sorted(PAGE_RULES), ids=lambda route: f"{route[0]} {route[1]}")
def test_each_role_gets_the_page_the_rule_says(
    route: tuple[str, str], world: World, session: Session
) -> None:
    from app_api.pages.security import CSRF_COOKIE, SESSION_COOKIE, session_token
    from skillstudio.web.principals import Principal

    rule = PAGE_RULES[route]
    resources = Resources(world, session)
    for role in sorted(ROLES, key=lambda name: name in rule.allowed):
        method, path, kwargs = rule.build(resources, role)
        assert method == route[0]
        cookies = {CSRF_COOKIE: CSRF}
        if role != "anonymous":
            user = world.users[role]
            principal = Principal(user_id=user.user_id, role=user.role)
            cookies[SESSION_COOKIE] = session_token(world.settings, principal=principal, refresh_token="none")
        world.client.cookies.clear()
        for name, value in cookies.items():
            world.client.cookies.set(name, value)
        before = _events(session)
        response = world.client.request(method, path, follow_redirects=False, **kwargs)
        world.client.cookies.clear()
        if role in rule.allowed:
            succeeded = response.status_code in rule.success if rule.success else response.status_code < 300
            assert succeeded, f"{role}: {response.status_code} {response.text[:500]}"
            continue
        if role == "anonymous":
            if method == "GET":
                assert response.status_code == 303
                assert response.headers["location"] == f"/app/sign-in?next={path}"
            else:
                assert response.status_code == 401
        else:
            assert response.status_code in rule.refusal, f"{role} was not refused: {response.status_code}"
        assert response.headers.get("content-type", "text/html").startswith("text/html")
        assert _events(session) == before, f"the refusal of {role} wrote an event"
