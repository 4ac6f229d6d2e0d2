"""Issue 14, points 1, 2 and 7 over HTTP: sessions, CSRF, security headers, escaping, errors for people,
and the admin page's figures equal to the marts' (the browser tests drive the same pages in Chromium)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from app_api.pages.security import CONTENT_SECURITY_POLICY, CSRF_COOKIE, SESSION_COOKIE
from tests.app_api.pages.conftest import SCRIPT_TITLE, Site


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">.*?data-value="([^"]*)"', page, re.S)
    assert found, f"no figure {name}"
    return found.group(1)


def test_pages_forbid_scripts_and_other_origins(site: Site) -> None:
    response = site.client().get("/app/sign-in")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in policy and "unsafe" not in policy and "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text
    # The API keeps its own headers: the policy is the pages'.
    assert "content-security-policy" not in site.client().get("/health").headers


def _session_events(site: Site, user_id: uuid.UUID) -> list[str]:
    rows = site.warehouse.rows(
        "select verb from learner_events where actor_id = %s and verb like '%%logged-%%' "
        "order by received_at",
        user_id,
    )
    return [verb.rsplit("/", 1)[-1] for (verb,) in rows]


def test_signing_in_and_out_are_the_apis_session_events(site: Site) -> None:
    client = site.client()
    form = client.get("/app/sign-in")
    email, password, user_id = site.accounts["admin"]
    before = _session_events(site, user_id)
    signed_in = client.post(
        "/app/sign-in", data={"email": email, "password": password, "csrf_token": _csrf(form.text)}
    )
    assert signed_in.status_code == 303
    assert _session_events(site, user_id) == [*before, "logged-in"]
    page = client.get("/app/admin/health")
    assert page.status_code == 200
    client.post("/app/sign-out", data={"csrf_token": _csrf(page.text)})
    assert _session_events(site, user_id) == [*before, "logged-in", "logged-out"]


def test_signing_in_sets_a_safe_cookie_and_lands_on_the_role_home(site: Site) -> None:
    client = site.client()
    form = client.get("/app/sign-in")
    email, password, _ = site.accounts["instructor"]
    response = client.post(
        "/app/sign-in", data={"email": email, "password": password, "csrf_token": _csrf(form.text)}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/app/instructor")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/app" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over HTTPS it is set (next test)
    assert client.get("/app/instructor").status_code == 200


def test_the_cookie_is_secure_over_https(site: Site) -> None:
    client = site.client()
    client.base_url = client.base_url.copy_with(scheme="https")
    form = client.get("/app/sign-in")
    email, password, _ = site.accounts["learner"]
    response = client.post(
        "/app/sign-in", data={"email": email, "password": password, "csrf_token": _csrf(form.text)}
    )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "Secure" in cookie


def test_a_wrong_password_is_told_on_the_form(site: Site) -> None:
    client = site.client()
    form = client.get("/app/sign-in")
    email, _, _ = site.accounts["learner"]
    response = client.post(
        "/app/sign-in", data={"email": email, "password": "not it", "csrf_token": _csrf(form.text)}
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text or "wrong" in response.text.lower()
    assert SESSION_COOKIE not in response.cookies
    empty = client.post("/app/sign-in", data={"email": "", "password": "", "csrf_token": _csrf(form.text)})
    assert empty.status_code == 422
    assert "Enter your email address." in empty.text and "Enter your password." in empty.text


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_form_without_its_csrf_token_is_refused(site: Site, token: str | None) -> None:
    client = site.client()
    client.get("/app/sign-in")  # the browser holds a CSRF cookie, the form lost its field
    assert client.cookies.get(CSRF_COOKIE, path="/app")
    email, password, _ = site.accounts["learner"]
    data = {"email": email, "password": password, **({"csrf_token": token} if token else {})}
    response = client.post("/app/sign-in", data=data)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "security token" in response.text
    assert SESSION_COOKIE not in response.cookies


def test_signing_out_needs_the_token_and_ends_the_session(site: Site) -> None:
    client = site.client("learner")
    page = client.get("/app/learner", follow_redirects=True)
    assert page.status_code == 200
    refused = client.post("/app/sign-out", data={})
    assert refused.status_code == 403
    done = client.post("/app/sign-out", data={"csrf_token": _csrf(page.text)})
    assert (done.status_code, done.headers["location"]) == (303, "/app/sign-in")
    cleared = next(v for k, v in done.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "Max-Age=0" in cleared and "Path=/app" in cleared


def test_a_course_title_with_a_script_shows_as_text(site: Site) -> None:
    page = site.client("instructor").get("/app/instructor")
    assert page.status_code == 200
    assert "&lt;script&gt;document.title" in page.text
    assert "<script>" not in page.text
    course = site.client("instructor").get(f"/app/instructor/courses/{site.script_course}")
    assert course.status_code == 200 and "<script>" not in course.text
    assert "&lt;script&gt;" in course.text.split("<main>")[1]
    assert SCRIPT_TITLE.startswith("<script>")


def test_a_draft_is_not_revealed_to_another_instructor(site: Site) -> None:
    other = site.client("other_instructor")
    draft = other.get(f"/app/instructor/courses/{site.draft_course}")
    unknown = other.get(f"/app/instructor/courses/{uuid.uuid4()}")
    assert draft.status_code == unknown.status_code == 404
    assert draft.text.replace(str(site.draft_course), "ID") == re.sub(
        r"There is no course [0-9a-f-]+", "There is no course ID", unknown.text
    )
    assert site.client("instructor").get(f"/app/instructor/courses/{site.draft_course}").status_code == 200


def test_errors_are_pages_for_people(site: Site) -> None:
    anonymous = site.client().get("/app/admin")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/app/sign-in?next=/app/admin")
    learner = site.client("learner")
    refused = learner.get("/app/admin")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "for admin accounts only" in refused.text
    other = learner.get(f"/app/learners/{site.accounts['admin'][2]}")
    assert other.status_code == 403
    missing = learner.get("/app/no-such-page")
    assert missing.status_code == 404 and "There is no such page." in missing.text
    invalid = site.client("admin").get("/app/admin", params={"days": "12"})
    assert invalid.status_code == 422 and "query.days" in invalid.text
    # The API still answers problem+json.
    assert site.client().get("/api/v1/me").headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("days", [7, 30, 365])
def test_the_overview_shows_the_marts_figures(site: Site, days: int) -> None:
    page = site.client("admin").get("/app/admin", params={"days": days})
    assert page.status_code == 200
    [(last,)] = site.warehouse.rows("select max(activity_date) from analytics.fct_platform_daily")
    start = last - timedelta(days=days - 1)
    [(enrollments, new_learners, completions, dau)] = site.warehouse.rows(
        "select sum(enrollments), sum(new_learners), sum(course_completions), avg(dau) "
        "from analytics.fct_platform_daily where activity_date between %s and %s",
        start,
        last,
    )
    [(mau,)] = site.warehouse.rows(
        "select mau from analytics.fct_platform_daily where activity_date = %s", last
    )
    assert int(_figure(page.text, "enrollments")) == enrollments
    assert int(_figure(page.text, "new_learners")) == new_learners
    assert int(_figure(page.text, "course_completions")) == completions
    assert int(_figure(page.text, "mau")) == mau
    # Days before the marts' first count as quiet days in the API's mean, so compare over held days only.
    [(held,)] = site.warehouse.rows(
        "select count(*) from analytics.fct_platform_daily where activity_date between %s and %s", start, last
    )
    if held == days:
        assert float(_figure(page.text, "dau")) == pytest.approx(float(dau), abs=0.01)


def test_the_instructor_chart_reads_each_courses_daily_mart_rows(site: Site) -> None:
    from app_api.analytics import service as analytics
    from skillstudio.db import session_scope
    from skillstudio.web.principals import Principal

    instructor = Principal(user_id=site.accounts["instructor"][2], role="instructor")
    other = Principal(user_id=site.other_instructor, role="instructor")
    course = site.script_course
    [(last,)] = site.warehouse.rows("select max(activity_date) from analytics.fct_course_daily")
    expected = dict(
        site.warehouse.rows(
            "select activity_date, enrollments from analytics.fct_course_daily "
            "where course_id = %s and activity_date > %s::date - 30",
            course,
            last,
        )
    )
    marts = analytics.marts_of(site.settings.analytics_schema)
    with session_scope(site.settings) as session:
        mine = analytics.daily_enrollments(
            session=session, marts=marts, viewer=instructor, course_ids=[course], days=30
        )
        theirs = analytics.daily_enrollments(
            session=session, marts=marts, viewer=other, course_ids=[course], days=30
        )
    assert mine == {course: expected} and sum(expected.values()) > 0
    assert theirs == {}  # not their course: not even an empty series


def test_the_instructors_courses_show_their_rating_from_the_mart(site: Site) -> None:
    html = site.client("instructor").get("/app/instructor").text
    shown = dict(re.findall(r'<tr data-course="([^"]+)">.*?<td data-rating>([^<]*)</td>', html, re.S))
    marts = {
        str(course): (count, average)
        for course, count, average in site.warehouse.rows(
            "select course_id, review_count, average_rating from analytics.fct_course_summary "
            "where course_run_id is null"
        )
    }
    assert shown, "no course listed"
    for course, cell in shown.items():
        count, average = marts[course]
        plural = "" if count == 1 else "s"
        assert cell == (f"{average:.1f} ★ ({count} review{plural})" if count else "No reviews"), course
    assert any(marts[course][0] for course in shown), "the demo course's reviews are not listed"
