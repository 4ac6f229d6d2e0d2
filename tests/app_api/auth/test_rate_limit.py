"""Login rate limits per account and per client IP: 429 with Retry-After, reset by success or by time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.app_api.auth.helpers import PASSWORD, login, register, unique_email

WINDOW = 600


@pytest.fixture
def limited(client: TestClient) -> Iterator[TestClient]:
    """The app with small limits: 3 failures per account, 5 per IP, in a 10-minute window."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={
            "login_max_failures_per_account": 3,
            "login_max_failures_per_ip": 5,
            "login_window_seconds": WINDOW,
        }
    )
    yield client


def from_ip(client: TestClient, ip: str) -> TestClient:
    """Another client of the same app (same database transaction) calling from ``ip``."""
    return TestClient(client.app, client=(ip, 40000))


def attempt(client: TestClient, email: str, password: str = "wrong password") -> tuple[int, dict]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response.status_code, response


def age_attempts(session: Session, seconds: int) -> None:
    session.execute(
        text("update login_attempts set attempted_at = attempted_at - make_interval(secs => :s)"),
        {"s": seconds},
    )


def test_an_account_is_blocked_after_n_failures(limited: TestClient, session: Session) -> None:
    email = register(limited)["email"]
    assert [attempt(limited, email)[0] for _ in range(3)] == [401, 401, 401]

    status, response = attempt(limited, email, PASSWORD)
    assert status == 429
    assert response.headers["content-type"] == "application/problem+json"
    retry_after = int(response.headers["retry-after"])
    assert WINDOW - 5 <= retry_after <= WINDOW
    body = response.json()
    assert (body["limit"], body["retry_after_seconds"]) == ("account", retry_after)
    assert "Too many failed password attempts for this account" in body["detail"]
    # The block holds from another network too, and refused attempts are not stored.
    assert attempt(from_ip(limited, "198.51.100.9"), email, PASSWORD)[0] == 429
    stored = session.execute(text("select count(*) from login_attempts where email = :e"), {"e": email})
    assert stored.scalar_one() == 3


def test_the_block_lifts_as_the_window_slides(limited: TestClient, session: Session) -> None:
    email = register(limited)["email"]
    for _ in range(3):
        attempt(limited, email)
    age_attempts(session, WINDOW - 60)
    status, response = attempt(limited, email, PASSWORD)
    assert status == 429 and 55 <= int(response.headers["retry-after"]) <= 60
    age_attempts(session, 61)
    assert login(limited, email)["user_id"]


def test_a_success_clears_the_account_count(limited: TestClient) -> None:
    email = register(limited)["email"]
    for _ in range(2):
        attempt(limited, email)
    login(limited, email)
    assert [attempt(limited, email)[0] for _ in range(3)] == [401, 401, 401]
    assert attempt(limited, email)[0] == 429


def test_unknown_emails_are_limited_like_accounts(limited: TestClient) -> None:
    email = unique_email("ghost")
    assert [attempt(limited, email)[0] for _ in range(4)] == [401, 401, 401, 429]


def test_an_ip_is_blocked_after_n_failures_across_accounts(limited: TestClient, session: Session) -> None:
    attacker, office = from_ip(limited, "203.0.113.7"), from_ip(limited, "192.0.2.10")
    victim = register(limited)["email"]
    for _ in range(5):
        assert attempt(attacker, unique_email("target"))[0] == 401

    status, response = attempt(attacker, victim, PASSWORD)
    assert status == 429 and response.json()["limit"] == "ip"
    assert "your network address" in response.json()["detail"]
    assert WINDOW - 5 <= int(response.headers["retry-after"]) <= WINDOW
    # Other addresses are unaffected, and the victim's own account is not blocked.
    assert login(office, victim)["user_id"]
    age_attempts(session, WINDOW)
    assert attempt(attacker, victim, PASSWORD)[0] == 200


def test_a_success_clears_only_the_ips_failures_for_that_account(limited: TestClient) -> None:
    office = from_ip(limited, "192.0.2.20")
    typist, attacker_account = register(limited)["email"], register(limited)["email"]
    for _ in range(2):
        attempt(office, typist)
    login(office, typist)
    # Had the typist's 2 typos still counted, the 4th of these would reach the limit of 5.
    assert [attempt(office, unique_email("other"))[0] for _ in range(4)] == [401] * 4
    # Logging into an own account does not clear failures made against other accounts.
    login(office, attacker_account)
    assert attempt(office, unique_email("other"))[0] == 401
    assert attempt(office, unique_email("other"))[0] == 429


def test_a_victims_login_elsewhere_does_not_clear_an_attackers_ip(limited: TestClient) -> None:
    attacker, victim_phone = from_ip(limited, "203.0.113.8"), from_ip(limited, "192.0.2.30")
    victims = [register(limited)["email"] for _ in range(2)]
    for email in (victims[0], victims[0], victims[1], victims[1], unique_email("ghost")):
        assert attempt(attacker, email)[0] == 401
    # Both victims log in from their own network: their account counts clear, the attacker's IP does not.
    for email in victims:
        login(victim_phone, email)
    status, response = attempt(attacker, victims[0])
    assert status == 429 and response.json()["limit"] == "ip"
