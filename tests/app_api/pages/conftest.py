"""A site for the page tests: the demo's accounts and catalogue on a small generated history, marts built by
dbt, served by uvicorn on a local port so that a real browser can open it.

Its own database (not the shared warehouses): signing in writes events and login rows, which the mart
tests that recompute figures from raw rows must never see.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app_api.demo import seed_demo
from app_api.pages.security import SESSION_COOKIE, session_token
from pipelines.defs.analytics.project import dbt_resource
from skillstudio.db import libpq_url, session_scope
from skillstudio.settings import Settings
from skillstudio.sources.synthetic import GeneratorConfig, generate
from skillstudio.web.principals import Principal
from tests.warehouses import Warehouse

SCRIPT_TITLE = '<script>document.title="pwned"</script> Escaped & shown'
# The marts the pages read (app_api.analytics.marts), with everything upstream of them.
PAGE_MARTS = [
    f"+{name}"
    for name in (
        "fct_platform_daily", "fct_course_daily", "fct_course_summary", "fct_course_lesson_funnel",
        "dim_lessons", "dim_courses", "dim_course_runs", "fct_instructor_summary", "fct_question_stats",
        "fct_learner_daily",
    )
]  # fmt: skip
HISTORY = GeneratorConfig(learners=80, courses=6, days=40, seed=5, batch_learners=80)


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    warehouse: Warehouse
    accounts: dict[str, tuple[str, str, uuid.UUID]]
    """role -> (email, password, user id) of the demo accounts."""
    script_course: uuid.UUID
    draft_course: uuid.UUID
    other_instructor: uuid.UUID

    def client(self, role: str | None = None) -> TestClient:
        """A client of the same app, signed in as ``role`` by a minted session cookie (no login event)."""
        from skillstudio.main.app import create_app

        client = TestClient(create_app(self.settings), base_url="http://testserver", follow_redirects=False)
        if role is not None:
            client.cookies.set(SESSION_COOKIE, self.cookie(role), path="/app")
        return client

    def cookie(self, role: str, user_id: uuid.UUID | None = None) -> str:
        if user_id is None:
            user_id = self.other_instructor if role == "other_instructor" else self.accounts[role][2]
        principal = Principal(user_id=user_id, role=role.removeprefix("other_"))
        return session_token(self.settings, principal=principal, refresh_token="minted-in-tests")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(
    url: str, settings: Settings
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, dict[str, tuple[str, str, uuid.UUID]]]:
    with psycopg.connect(libpq_url(url)) as conn:
        generate(conn, HISTORY)
        conn.commit()
    with session_scope(settings) as session:
        seeded = seed_demo(session, settings=settings)
    accounts = {
        a.role: (a.email, a.password, a.user_id) for a in (seeded.learner, seeded.instructor, seeded.admin)
    }
    other = uuid.uuid4()
    with psycopg.connect(libpq_url(url)) as conn:
        instructor = accounts["instructor"][2]
        # The generated courses get the demo instructor, one of them a title that must be escaped.
        # Busiest first: the script course must have enrollments in the marts' recent days, which the demo's
        # own courses (random ids, seeded today) need not have. The quietest becomes the draft.
        courses = [
            row[0]
            for row in conn.execute(
                "select courses.course_id from courses left join enrollments using (course_id) "
                "group by courses.course_id order by count(enrollments.enrollment_id) desc, courses.course_id"
            )
        ]
        conn.execute("update courses set instructor_id = %s where instructor_id is null", (instructor,))
        script_course = courses[0]
        conn.execute("update courses set title = %s where course_id = %s", (SCRIPT_TITLE, script_course))
        draft = conn.execute(
            "update courses set status = 'draft' where course_id = %s returning course_id", (courses[-1],)
        ).fetchone()
        assert draft is not None
        conn.execute(
            "insert into users (user_id, email, display_name, role, created_at) values (%s, %s, %s, %s, %s)",
            (other, f"{other}@staff.test", "Other Instructor", "instructor", datetime.now(UTC)),
        )
        conn.commit()
    _score_risks(settings, script_course, accounts["learner"][2])
    return script_course, draft[0], other, accounts


# What the pipeline's daily scoring would store: the script course's first active enrollments, riskiest
# first, and the demo learner's active enrollments.
COURSE_RISKS = [0.91, 0.74, 0.62, 0.4]
LEARNER_RISK = 0.66
STRUGGLING = {
    "feature": "score_vs_cohort",
    "value": -0.3,
    "contribution": -0.6,
    "text": "quiz scores 30% below the course's learners",
}


def _score_risks(settings: Settings, course_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    from sqlalchemy import text

    from tests.app_api.risk.scores import MISSED, NO_ACTIVITY, store_score

    with session_scope(settings) as session:
        open_in_course = session.scalars(
            text(
                "select enrollment_id from enrollments where course_id = :course and status = 'active' "
                "order by enrollment_id limit :n"
            ),
            {"course": course_id, "n": len(COURSE_RISKS)},
        ).all()
        assert len(open_in_course) == len(COURSE_RISKS)
        reasons = [[NO_ACTIVITY, MISSED], [STRUGGLING], [MISSED], [NO_ACTIVITY]]
        for enrollment_id, risk, why in zip(open_in_course, COURSE_RISKS, reasons, strict=True):
            store_score(session, enrollment_id=enrollment_id, course_id=course_id, risk=risk, reasons=why)
        learner_open = session.execute(
            text(
                "select enrollment_id, course_id from enrollments where user_id = :user and status = 'active'"
            ),
            {"user": learner_id},
        ).all()
        assert learner_open
        for enrollment_id, learner_course in learner_open[:1]:
            store_score(
                session, enrollment_id=enrollment_id, course_id=learner_course, risk=LEARNER_RISK,
                reasons=[STRUGGLING, NO_ACTIVITY],
            )  # fmt: skip


def _dbt_run(url: str, workdir: Path) -> Warehouse:
    """``dbt run`` only: the marts' own tests run on the shared warehouses; here they would only cost time."""
    invocation = dbt_resource(url, workdir / "profiles").cli(
        ["run", "--select", " ".join(PAGE_MARTS)], raise_on_error=False, target_path=workdir / "target"
    )
    output = "\n".join(str(event) for event in invocation.stream_raw_events())
    assert invocation.process.returncode == 0, output
    return Warehouse(url=url, statuses={}, output=output, workdir=workdir)


@pytest.fixture(scope="session")
def site(database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from skillstudio.main.app import create_app

    url = database_factory()
    home = tmp_path_factory.mktemp("pages-home")
    settings = Settings(
        home=home,
        database_url=url,
        jwt_secret="page tests, a secret long enough for HS256",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
    )
    script_course, draft, other, accounts = _prepare(url, settings)
    started = time.monotonic()
    warehouse = _dbt_run(url, Path(tmp_path_factory.mktemp("dbt-pages")))
    print(f"pages site: marts built in {time.monotonic() - started:.1f} s")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the page server did not start"
        time.sleep(0.05)
    try:
        yield Site(
            url=f"http://127.0.0.1:{port}",
            settings=settings,
            warehouse=warehouse,
            accounts=accounts,
            script_course=script_course,
            draft_course=draft,
            other_instructor=other,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
