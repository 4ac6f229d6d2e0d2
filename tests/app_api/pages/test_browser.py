"""Issue 14, point 6: the pages driven in headless Chromium as people would use them.

Debian's ``chromium`` (``.ci/run`` installs it) driven by playwright through ``executable_path``: nothing is
downloaded. One browser for the module; each test opens its own context (cookies). Screenshots of every
page land in ``screenshots/`` (git-ignored). Without a Chromium the module is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app_api.pages.conftest import Site

CHROMIUM = (
    os.environ.get("SKILLSTUDIO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
SCREENSHOTS = Path(__file__).resolve().parents[3] / "screenshots"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (apt-get install chromium, or set SKILLSTUDIO_CHROMIUM): "
    "the browser tests of the pages did not run",
)

# role -> the pages to open after signing in, by name (the first is where signing in lands).
PAGES = {
    "admin": [("home", "/app/admin"), ("health", "/app/admin/health"), ("courses", "/app/instructor")],
    "instructor": [("home", "/app/instructor")],
    "learner": [("home", "/app/learner")],
}
MARKS = "figure.chart svg g.role-mark > *"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Visit:
    """A browser context whose console errors, page errors and failed requests are collected."""

    def __init__(self, browser: Any, site: Site) -> None:
        self.site = site
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("requestfailed", self._request_failed)

    def _request_failed(self, request: Any) -> None:
        # Chromium aborts a favicon fetch still in flight when the test moves on (net::ERR_ABORTED): that is
        # the browser cancelling, not the page failing. Any other failure, or a favicon answered with an
        # error, is a problem.
        if request.url.endswith("/favicon.svg") and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def open(self, path: str) -> Any:
        return self.page.goto(self.site.url + path)

    def sign_in(self, role: str) -> None:
        email, password, _ = self.site.accounts[role]
        self.open("/app/sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("form.sign-in button[type=submit]")
        self.page.wait_for_load_state()

    def figure(self, name: str) -> str:
        return str(self.page.get_attribute(f'[data-figure="{name}"] .value', "data-value"))


@pytest.fixture
def visit(browser: Any, site: Site) -> Iterator[Visit]:
    opened = Visit(browser, site)
    yield opened
    opened.context.close()


@pytest.mark.parametrize("role", sorted(PAGES))
def test_each_demo_role_signs_in_and_sees_its_pages(visit: Visit, role: str) -> None:
    visit.sign_in(role)
    assert visit.page.url == visit.site.url + PAGES[role][0][1] or visit.page.url.startswith(
        f"{visit.site.url}/app/learners/"
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, path in PAGES[role]:
        response = visit.open(path)
        assert response.status == 200, f"{path}: {response.status}"
        charts = visit.page.locator("figure.chart")
        for n in range(charts.count()):
            chart = charts.nth(n)
            title = chart.get_attribute("data-chart")
            assert chart.locator("svg g.role-mark > *").count() > 0, f"{path}: chart {title!r} has no marks"
            assert chart.locator("figcaption").inner_text() == title
            assert chart.locator("table tbody tr").count() > 0, f"{path}: chart {title!r} has no table"
        if name == "home" and role != "admin" or path == "/app/admin":
            assert charts.count() >= 1, f"{path} shows no chart"
        visit.page.screenshot(path=str(SCREENSHOTS / f"{role}-{name}.png"), full_page=True)
    assert visit.problems == []


def test_the_period_selector_changes_the_figures_to_the_marts(visit: Visit) -> None:
    visit.sign_in("admin")
    rows = visit.site.warehouse.rows
    [(last,)] = rows("select max(activity_date) from analytics.fct_platform_daily")
    seen = {}
    for days in ("7", "30"):
        visit.page.select_option("#days", days)
        visit.page.click("form.period button[type=submit]")
        visit.page.wait_for_load_state()
        assert visit.page.url.endswith(f"days={days}")
        [(expected,)] = rows(
            "select sum(enrollments) from analytics.fct_platform_daily where activity_date > %s::date - %s",
            last,
            int(days),
        )
        seen[days] = int(visit.figure("enrollments"))
        assert seen[days] == expected
        assert visit.page.locator("figure.chart svg g.role-mark > *").count() > 0
    assert seen["7"] != seen["30"]
    assert visit.problems == []


def test_a_learner_cannot_open_admin_or_another_learners_page(visit: Visit) -> None:
    visit.sign_in("learner")
    admin = visit.open("/app/admin")
    assert admin.status == 403
    assert "for admin accounts only" in visit.page.inner_text("main")
    other = visit.open(f"/app/learners/{visit.site.accounts['admin'][2]}")
    assert other.status == 403
    course = visit.open(f"/app/instructor/courses/{visit.site.script_course}")
    assert course.status in (403, 404)


def test_a_form_without_its_csrf_token_is_refused(visit: Visit) -> None:
    visit.open("/app/sign-in")
    email, password, _ = visit.site.accounts["learner"]
    visit.page.fill("#email", email)
    visit.page.fill("#password", password)
    # What a forged cross-site form would send: everything but this browser's token.
    visit.page.eval_on_selector("input[name=csrf_token]", "field => field.remove()")
    with visit.page.expect_navigation() as navigation:
        visit.page.click("form.sign-in button[type=submit]")
    assert navigation.value.status == 403
    assert "security token" in visit.page.inner_text("main")
    assert visit.page.url.startswith(f"{visit.site.url}/app/sign-in")


def test_a_script_in_a_course_title_stays_text(visit: Visit) -> None:
    visit.sign_in("instructor")
    assert visit.page.title() != "pwned"
    assert visit.page.locator("text=Escaped & shown").count() >= 1
    assert visit.problems == []


def test_a_learner_sees_the_path_next_steps_and_risk_the_services_give(visit: Visit) -> None:
    from app_api.goals import service as goals
    from app_api.paths import next_step as next_steps
    from app_api.paths import service as paths
    from app_api.risk import service as risk
    from skillstudio.db import session_scope
    from skillstudio.web.principals import Principal

    learner = Principal(user_id=visit.site.accounts["learner"][2], role="learner")
    with session_scope(visit.site.settings) as session:
        goal = next(
            g
            for g in goals.list_goals(
                session, principal=learner, user_id=None, status=None, cursor=None, limit=50
            ).items
            if g.status == "active"
        )
        path = paths.get_path(session, principal=learner, goal_id=goal.goal_id)
        (score,) = risk.learner_risks(session=session, viewer=learner, user_id=learner.user_id)
        step = next_steps.next_step(session, principal=learner, enrollment_id=score.enrollment_id)
    visit.sign_in("learner")
    page = visit.page
    assert page.locator("text=Not available yet").count() <= 1  # only recommendations: no model trained
    weeks = page.locator("ol.timeline > li")
    assert weeks.count() == len(path.timeline)
    for n, week in enumerate(path.timeline):
        assert weeks.nth(n).get_attribute("data-minutes") == str(week.minutes)
        assert f"Week {week.week}" in weeks.nth(n).inner_text()
    steps = page.locator('table[data-table="path-steps"] tbody tr')
    assert steps.count() == len(path.steps)
    assert path.steps[0].reasons[0] in steps.nth(0).inner_text()
    chart = page.locator(f'figure.chart[data-chart="Planned study per week: {goal.title}"]')
    assert chart.locator("svg g.role-mark > *").count() == len(path.timeline)
    next_item = page.locator(f'ul.next-steps li[data-enrollment="{score.enrollment_id}"]')
    assert next_item.get_attribute("data-kind") == step.kind and step.reason in next_item.inner_text()
    risk_item = page.locator(f'ul.risks li[data-enrollment="{score.enrollment_id}"]')
    assert f"{round(score.probability * 100)}% chance of completing" in risk_item.inner_text()
    assert [r.text for r in score.reasons] == risk_item.locator("ul.reasons li").all_inner_texts()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "learner-sections.png"), full_page=True)
    assert visit.problems == []


def test_an_instructor_sees_at_risk_learners_with_reasons(visit: Visit) -> None:
    from tests.app_api.pages.conftest import COURSE_RISKS

    visit.sign_in("instructor")
    response = visit.open(f"/app/instructor/courses/{visit.site.script_course}")
    assert response.status == 200
    rows = visit.page.locator('table[data-table="at-risk"] tbody tr')
    high = [r for r in COURSE_RISKS if r >= 0.6]
    assert [float(str(rows.nth(n).get_attribute("data-risk"))) for n in range(rows.count())] == high
    assert "no activity for 12 days" in rows.nth(0).inner_text()
    assert rows.locator("ul.reasons li").count() >= len(high)
    assert rows.locator("a").count() == 0  # a learner's page is theirs and admins': no link it would refuse
    SCREENSHOTS.mkdir(exist_ok=True)
    visit.page.screenshot(path=str(SCREENSHOTS / "instructor-course.png"), full_page=True)
    assert visit.problems == []


def test_an_instructor_edits_a_question_and_sees_it_saved(visit: Visit) -> None:
    # The redirect's page reads the question right away: the edit is committed before the redirect (the
    # request session's own commit comes after the response is sent).
    [(question_id, version)] = visit.site.warehouse.rows(
        "select q.question_id, q.version from questions q join courses c using (course_id) "
        "where c.instructor_id = %s order by q.question_id desc limit 1",
        visit.site.accounts["instructor"][2],
    )
    visit.sign_in("instructor")
    assert visit.open(f"/app/instructor/questions/{question_id}").status == 200
    visit.page.fill("#prompt", "Which clause filters groups after GROUP BY?")
    visit.page.fill("#difficulty", "0.25")
    with visit.page.expect_navigation():
        visit.page.click("form.edit-question button[type=submit]")
    assert visit.page.url.endswith("?saved=true")
    assert visit.page.inner_text("p.saved") == f"Saved: this is version {version + 1}."
    assert visit.page.input_value("#prompt") == "Which clause filters groups after GROUP BY?"
    assert visit.page.input_value("#difficulty") == "0.25"
    SCREENSHOTS.mkdir(exist_ok=True)
    visit.page.screenshot(path=str(SCREENSHOTS / "instructor-question.png"), full_page=True)
    assert visit.problems == []
