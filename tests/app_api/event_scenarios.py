"""One scenario per mutating route: how to call it successfully, the events it must write, and a refusal.

``SCENARIOS`` maps (method, OpenAPI path) to a builder that prepares the rows it needs in a ``World`` and
returns a ``Scenario``. This module holds the accounts and catalogue routes, ``event_scenarios_learning``
the learning ones (and exports the complete table). ``test_every_change_is_an_event`` runs each scenario
and checks that the table covers every mutating route of the OpenAPI, so a new route fails the suite until
it is added here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.app_api.integration_world import PASSWORD, World

# (verb, object type, object id, actor id)
Event = tuple[str, str, str, str]


@dataclass(frozen=True)
class Call:
    role: str
    method: str
    path: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    success: Call
    events: Callable[[Any], list[Event]]
    """The events the successful call must write, given its response body (None for 204)."""
    tables: frozenset[str]
    """The tables the successful call changes, learner_events aside."""
    failure: Call
    failure_status: int
    failure_may_change: frozenset[str] = frozenset()
    """Tables a refusal may still write (rate-limit bookkeeping), never learner_events."""


SCENARIOS: dict[tuple[str, str], Callable[[World], Scenario]] = {}


def scenario(method: str, path: str) -> Callable[[Callable[[World], Scenario]], Callable[[World], Scenario]]:
    def register(builder: Callable[[World], Scenario]) -> Callable[[World], Scenario]:
        SCENARIOS[(method, f"/api/v1{path}")] = builder
        return builder

    return register


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def if_match(tag: str) -> dict[str, str]:
    return {"If-Match": tag}


STALE = '"00000000-0000-0000-0000-000000000000.0"'
# The login rate limit records failed password checks on purpose: that is its memory, not a user change.
RATE_LIMIT = frozenset({"login_attempts"})


# ---- accounts


@scenario("POST", "/auth/register")
def _register(w: World) -> Scenario:
    body = {"email": f"new.{uuid.uuid4().hex[:10]}@example.org", "password": PASSWORD, "display_name": "New"}
    return Scenario(
        success=Call("anonymous", "POST", "/auth/register", json=body),
        events=lambda r: [("registered", "account", r["user_id"], r["user_id"])],
        tables=frozenset({"users", "learner_profiles"}),
        failure=Call("anonymous", "POST", "/auth/register", json={**body, "password": "short"}),
        failure_status=422,
    )


@scenario("POST", "/auth/login")
def _login(w: World) -> Scenario:
    account = w.account()
    uid, email = account["user_id"], account["email"]
    return Scenario(
        success=Call("anonymous", "POST", "/auth/login", json={"email": email, "password": PASSWORD}),
        events=lambda r: [("logged-in", "account", uid, uid)],
        tables=frozenset({"users", "refresh_tokens", "login_attempts"}),
        failure=Call("anonymous", "POST", "/auth/login", json={"email": email, "password": "wrong password"}),
        failure_status=401,
        failure_may_change=RATE_LIMIT,
    )


@scenario("POST", "/auth/logout")
def _logout(w: World) -> Scenario:
    account = w.account()
    uid = account["user_id"]
    return Scenario(
        success=Call("anonymous", "POST", "/auth/logout", json={"refresh_token": account["refresh_token"]}),
        events=lambda r: [("logged-out", "account", uid, uid)],
        tables=frozenset({"refresh_tokens"}),
        failure=Call("anonymous", "POST", "/auth/logout", json={"refresh_token": "not-a-token"}),
        failure_status=401,
    )


@scenario("POST", "/auth/password")
def _password(w: World) -> Scenario:
    account = w.account()
    uid, headers = account["user_id"], bearer(account["access_token"])
    body = {"current_password": PASSWORD, "new_password": "another long passphrase"}
    return Scenario(
        success=Call("anonymous", "POST", "/auth/password", json=body, headers=headers),
        # The login's session ends, the password changes, and a new session starts for the caller.
        events=lambda r: [
            ("logged-out", "account", uid, uid),
            ("updated", "account", uid, uid),
            ("logged-in", "account", uid, uid),
        ],
        tables=frozenset({"users", "refresh_tokens", "login_attempts"}),
        failure=Call(
            "anonymous",
            "POST",
            "/auth/password",
            json={**body, "current_password": "wrong one"},
            headers=headers,
        ),
        failure_status=403,
        failure_may_change=RATE_LIMIT,
    )


@scenario("PUT", "/users/{user_id}/role")
def _role(w: World) -> Scenario:
    target = w.id("other_learner")
    return Scenario(
        success=Call("admin", "PUT", f"/users/{target}/role", json={"role": "instructor"}),
        events=lambda r: [("updated", "account", target, w.id("admin"))],
        tables=frozenset({"users"}),
        failure=Call("instructor", "PUT", f"/users/{target}/role", json={"role": "admin"}),
        failure_status=403,
    )


@scenario("PATCH", "/learners/{learner_id}/profile")
def _profile(w: World) -> Scenario:
    learner = w.id("learner")
    body = {"preferences": {"weekly_hours": 6, "preferred_difficulty": "intermediate"}}
    return Scenario(
        success=Call("learner", "PATCH", f"/learners/{learner}/profile", json=body),
        events=lambda r: [("updated", "profile", learner, learner)],
        tables=frozenset({"learner_profiles"}),
        failure=Call("other_learner", "PATCH", f"/learners/{learner}/profile", json=body),
        failure_status=403,
    )


# ---- skills (admins)


@scenario("POST", "/skills")
def _create_skill(w: World) -> Scenario:
    body = {"slug": f"skill-{w.id('admin')[:8]}", "name": "Window functions"}
    return Scenario(
        success=Call("admin", "POST", "/skills", json=body),
        events=lambda r: [("created", "skill", r["skill_id"], w.id("admin"))],
        tables=frozenset({"skills"}),
        failure=Call("instructor", "POST", "/skills", json=body),
        failure_status=403,
    )


@scenario("PATCH", "/skills/{skill_id}")
def _update_skill(w: World) -> Scenario:
    skill = w.skill()
    path = f"/skills/{skill['skill_id']}"
    return Scenario(
        success=Call("admin", "PATCH", path, json={"name": "Renamed"}, headers=if_match(skill["etag"])),
        events=lambda r: [("updated", "skill", skill["skill_id"], w.id("admin"))],
        tables=frozenset({"skills"}),
        failure=Call("admin", "PATCH", path, json={"name": "Renamed"}, headers=if_match(STALE)),
        failure_status=412,
    )


@scenario("DELETE", "/skills/{skill_id}")
def _delete_skill(w: World) -> Scenario:
    skill = w.skill()
    path = f"/skills/{skill['skill_id']}"
    return Scenario(
        success=Call("admin", "DELETE", path, headers=if_match(skill["etag"])),
        events=lambda r: [("deleted", "skill", skill["skill_id"], w.id("admin"))],
        tables=frozenset({"skills"}),
        failure=Call("admin", "DELETE", path),
        failure_status=428,
    )


# ---- courses, modules, lessons (instructor X owns them)


@scenario("POST", "/courses")
def _create_course(w: World) -> Scenario:
    skill = w.skill()
    body = {"title": "Window functions", "subject": "Data", "level": "advanced", "skills": [skill["slug"]]}
    return Scenario(
        success=Call("instructor", "POST", "/courses", json=body),
        events=lambda r: [("created", "course", r["course_id"], w.id("instructor"))],
        tables=frozenset({"courses", "course_skills"}),
        failure=Call("learner", "POST", "/courses", json=body),
        failure_status=403,
    )


@scenario("PATCH", "/courses/{course_id}")
def _update_course(w: World) -> Scenario:
    course = w.course(published=False)
    path, headers = f"/courses/{course['course_id']}", if_match(course["etag"])
    return Scenario(
        success=Call("instructor", "PATCH", path, json={"title": "Better title"}, headers=headers),
        events=lambda r: [("updated", "course", course["course_id"], w.id("instructor"))],
        tables=frozenset({"courses"}),
        failure=Call("other_instructor", "PATCH", path, json={"title": "Mine now"}, headers=headers),
        failure_status=403,
    )


@scenario("DELETE", "/courses/{course_id}")
def _delete_course(w: World) -> Scenario:
    course = w.course(published=False, lessons=0)
    path, headers = f"/courses/{course['course_id']}", if_match(course["etag"])
    return Scenario(
        success=Call("instructor", "DELETE", path, headers=headers),
        events=lambda r: [("deleted", "course", course["course_id"], w.id("instructor"))],
        tables=frozenset({"courses"}),
        failure=Call("other_instructor", "DELETE", path, headers=headers),
        failure_status=403,
    )


def _transition(action: str, published: bool, refused_by: str) -> Callable[[World], Scenario]:
    def build(w: World) -> Scenario:
        course = w.course(published=published)
        path = f"/courses/{course['course_id']}/{action}"
        return Scenario(
            success=Call("instructor", "POST", path),
            events=lambda r: [("updated", "course", course["course_id"], w.id("instructor"))],
            tables=frozenset({"courses"}),
            failure=Call(refused_by, "POST", path),
            failure_status=403,
        )

    return build


scenario("POST", "/courses/{course_id}/publish")(_transition("publish", False, "learner"))
scenario("POST", "/courses/{course_id}/unpublish")(_transition("unpublish", True, "other_instructor"))
scenario("POST", "/courses/{course_id}/archive")(_transition("archive", True, "other_learner"))


@scenario("POST", "/courses/{course_id}/modules")
def _create_module(w: World) -> Scenario:
    course = w.course(published=False, lessons=0)
    path = f"/courses/{course['course_id']}/modules"
    return Scenario(
        success=Call("instructor", "POST", path, json={"title": "Basics"}),
        events=lambda r: [("created", "module", r["module_id"], w.id("instructor"))],
        tables=frozenset({"modules"}),
        failure=Call("other_instructor", "POST", path, json={"title": "Basics"}),
        failure_status=403,
    )


@scenario("PATCH", "/modules/{module_id}")
def _update_module(w: World) -> Scenario:
    module = w.module(w.course(published=False, lessons=0))
    path = f"/modules/{module['module_id']}"
    return Scenario(
        success=Call(
            "instructor", "PATCH", path, json={"title": "Advanced"}, headers=if_match(module["etag"])
        ),
        events=lambda r: [("updated", "module", module["module_id"], w.id("instructor"))],
        tables=frozenset({"modules"}),
        failure=Call("instructor", "PATCH", path, json={"title": "Advanced"}, headers=if_match(STALE)),
        failure_status=412,
    )


@scenario("DELETE", "/modules/{module_id}")
def _delete_module(w: World) -> Scenario:
    module = w.module(w.course(published=False, lessons=0))
    path = f"/modules/{module['module_id']}"
    return Scenario(
        success=Call("instructor", "DELETE", path, headers=if_match(module["etag"])),
        events=lambda r: [("deleted", "module", module["module_id"], w.id("instructor"))],
        tables=frozenset({"modules"}),
        failure=Call("instructor", "DELETE", path),
        failure_status=428,
    )


@scenario("POST", "/courses/{course_id}/lessons")
def _create_lesson(w: World) -> Scenario:
    course = w.course(published=False, lessons=0)
    elsewhere = w.module(w.course(published=False, lessons=0))
    path = f"/courses/{course['course_id']}/lessons"
    body = {"title": "Joins", "estimated_minutes": 15}
    return Scenario(
        success=Call("instructor", "POST", path, json=body),
        events=lambda r: [("created", "lesson", r["lesson_id"], w.id("instructor"))],
        tables=frozenset({"lessons"}),
        failure=Call("instructor", "POST", path, json={**body, "module_id": elsewhere["module_id"]}),
        failure_status=422,
    )


@scenario("PATCH", "/lessons/{lesson_id}")
def _update_lesson(w: World) -> Scenario:
    lesson = w.lesson(w.course(published=False, lessons=0))
    path = f"/lessons/{lesson['lesson_id']}"
    return Scenario(
        success=Call(
            "instructor", "PATCH", path, json={"estimated_minutes": 25}, headers=if_match(lesson["etag"])
        ),
        events=lambda r: [("updated", "lesson", lesson["lesson_id"], w.id("instructor"))],
        tables=frozenset({"lessons"}),
        failure=Call(
            "other_instructor", "PATCH", path, json={"estimated_minutes": 1}, headers=if_match(lesson["etag"])
        ),
        failure_status=403,
    )


@scenario("DELETE", "/lessons/{lesson_id}")
def _delete_lesson(w: World) -> Scenario:
    lesson = w.lesson(w.course(published=False, lessons=0))
    path = f"/lessons/{lesson['lesson_id']}"
    return Scenario(
        success=Call("instructor", "DELETE", path, headers=if_match(lesson["etag"])),
        events=lambda r: [("deleted", "lesson", lesson["lesson_id"], w.id("instructor"))],
        tables=frozenset({"lessons"}),
        failure=Call("instructor", "DELETE", path, headers=if_match(STALE)),
        failure_status=412,
    )
