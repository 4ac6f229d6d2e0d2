"""Issue 14, points 3 and 4 where their parts have landed: the learner's learning path week by week, next
steps, completion risk and goal targets, and a course's at-risk learners with reasons — each equal to what
the services answer (the browser tests open the same pages in Chromium)."""

from __future__ import annotations

import re
import uuid
from html import unescape

from app_api.goals import service as goals
from app_api.paths import next_step as next_steps
from app_api.paths import service as paths
from app_api.progress import service as progress
from app_api.risk import service as risk
from skillstudio.db import session_scope
from skillstudio.web.principals import Principal
from tests.app_api.pages.conftest import COURSE_RISKS, LEARNER_RISK, STRUGGLING, Site


def _learner_page(site: Site) -> str:
    page = site.client("learner").get(f"/app/learners/{site.accounts['learner'][2]}")
    assert page.status_code == 200
    return page.text


def _rows(html: str, table: str) -> list[str]:
    found = re.search(rf'<table data-table="{table}">(.*?)</table>', html, re.S)
    assert found, f"no table {table}"
    return re.findall(r"<tr data-[a-z]+=.*?</tr>", found.group(1), re.S)


def test_the_learner_page_shows_the_goals_path_week_by_week(site: Site) -> None:
    learner = Principal(user_id=site.accounts["learner"][2], role="learner")
    with session_scope(site.settings) as session:
        (goal,) = [
            g
            for g in goals.list_goals(
                session, principal=learner, user_id=None, status=None, cursor=None, limit=50
            ).items
            if g.status == "active"
        ]
        path = paths.get_path(session, principal=learner, goal_id=goal.goal_id)
    html = _learner_page(site)
    assert "Not available yet" not in html.split("<h2>Recommended courses</h2>")[0]
    weeks = re.findall(r'<li data-week="(\d+)" data-minutes="(\d+)">', html)
    assert [(int(w), int(m)) for w, m in weeks] == [(w.week, w.minutes) for w in path.timeline]
    assert len(weeks) >= 1
    steps = _rows(html, "path-steps")
    assert len(steps) == len(path.steps) >= 1
    for row, step in zip(steps, path.steps, strict=True):
        assert step.title in unescape(row)
        for reason in step.reasons:
            assert reason in unescape(row)
    assert f'data-version="{path.version}"' in html
    assert f"Estimated finish {path.estimated_finish.isoformat()}" in html
    # The chart of planned minutes per week has a table of the same numbers.
    assert "Planned study per week" in html


def test_the_learner_page_shows_each_active_enrollments_next_step(site: Site) -> None:
    learner = Principal(user_id=site.accounts["learner"][2], role="learner")
    with session_scope(site.settings) as session:
        courses = progress.learner_progress(
            session=session, viewer=learner, user_id=learner.user_id, cursor=None, limit=50
        ).courses
        expected = {
            c.enrollment_id: next_steps.next_step(session, principal=learner, enrollment_id=c.enrollment_id)
            for c in courses
            if c.status == "active"
        }
    html = _learner_page(site)
    shown = re.findall(r'<li data-enrollment="([0-9a-f-]+)" data-kind="([a-z]+)">(.*?)</li>', html, re.S)
    assert expected and {uuid.UUID(e): kind for e, kind, _ in shown} == {
        e: step.kind for e, step in expected.items()
    }
    for enrollment, _, text in shown:
        step = expected[uuid.UUID(enrollment)]
        assert step.reason in unescape(text)
        if step.title:
            assert step.title in text


def test_the_learner_page_shows_the_stored_completion_risk_with_reasons(site: Site) -> None:
    learner = Principal(user_id=site.accounts["learner"][2], role="learner")
    with session_scope(site.settings) as session:
        (score,) = risk.learner_risks(session=session, viewer=learner, user_id=learner.user_id)
    assert score.risk == LEARNER_RISK
    html = _learner_page(site)
    found = re.search(
        rf'data-list="learner-risks">\s*<li data-enrollment="{score.enrollment_id}">(.*?)</ul>',
        unescape(html),
        re.S,
    )
    assert found, "the scored enrollment is not listed with its risk"
    assert f"{round((1 - LEARNER_RISK) * 100)}% chance of completing, high risk" in found.group(1)
    assert STRUGGLING["text"] in found.group(1)
    assert f'data-probability="{score.probability}"' in html


def test_goal_targets_stand_beside_the_skill_levels(site: Site) -> None:
    learner = Principal(user_id=site.accounts["learner"][2], role="learner")
    with session_scope(site.settings) as session:
        (goal,) = [
            g
            for g in goals.list_goals(
                session, principal=learner, user_id=None, status=None, cursor=None, limit=50
            ).items
            if g.status == "active"
        ]
    html = _learner_page(site)
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td></tr>", html)
    targets = {float(target) for _, _, target in rows if target != "—"}
    assert targets == {t.target_level for t in goal.skills}


def _at_risk_rows(html: str) -> list[tuple[str, str]]:
    return [
        (enrollment, row)
        for enrollment, row in re.findall(
            r'<tr data-enrollment="([0-9a-f-]+)" data-risk="[^"]+">(.*?)</tr>', html, re.S
        )
    ]


def test_the_course_page_lists_at_risk_learners_riskiest_first_with_reasons(site: Site) -> None:
    instructor = Principal(user_id=site.accounts["instructor"][2], role="instructor")
    with session_scope(site.settings) as session:
        expected = risk.at_risk(
            session=session, viewer=instructor, course_id=site.script_course, min_risk=risk.HIGH_RISK,
            cursor=None, limit=50,
        ).items  # fmt: skip
    assert [learner.risk for learner in expected] == [r for r in COURSE_RISKS if r >= risk.HIGH_RISK]
    html = site.client("instructor").get(f"/app/instructor/courses/{site.script_course}").text
    rows = _at_risk_rows(html)
    assert [uuid.UUID(e) for e, _ in rows] == [learner.enrollment_id for learner in expected]
    for (_, row), learner in zip(rows, expected, strict=True):
        assert f"{round(learner.risk * 100)}% ({learner.band})" in row
        assert [reason.text for reason in learner.reasons] == re.findall(r"<li>(.*?)</li>", unescape(row))
        assert learner.display_name and learner.display_name in row
        # The learner's page is theirs and admins': the instructor gets no link to a page they may not open.
        assert "/app/learners/" not in row
    admin_html = site.client("admin").get(f"/app/instructor/courses/{site.script_course}").text
    links = [re.search(r'href="/app/learners/([0-9a-f-]+)"', row) for _, row in _at_risk_rows(admin_html)]
    assert [uuid.UUID(link.group(1)) for link in links if link] == [learner.user_id for learner in expected]
    opened = site.client("admin").get(f"/app/learners/{expected[0].user_id}")
    assert opened.status_code == 200


def test_a_learner_cannot_open_another_learners_page(site: Site) -> None:
    learner = site.client("learner")
    instructor = site.client("instructor")
    other = site.accounts["instructor"][2]
    assert learner.get(f"/app/learners/{other}").status_code == 403
    assert instructor.get(f"/app/learners/{site.accounts['learner'][2]}").status_code == 403


def test_a_learners_risks_are_for_them_and_admins(site: Site) -> None:
    import pytest

    from skillstudio.errors import Forbidden

    learner_id = site.accounts["learner"][2]
    instructor = Principal(user_id=site.accounts["instructor"][2], role="instructor")
    admin = Principal(user_id=site.accounts["admin"][2], role="admin")
    with session_scope(site.settings) as session:
        with pytest.raises(Forbidden):
            risk.learner_risks(session=session, viewer=instructor, user_id=learner_id)
        (score,) = risk.learner_risks(session=session, viewer=admin, user_id=learner_id)
        assert (score.user_id, score.risk, score.band) == (learner_id, LEARNER_RISK, "high")


def test_the_learner_page_shows_xp_badges_the_weeks_board_and_certificates(site: Site) -> None:
    from app_api.certificates import service as certificates
    from app_api.gamification import service as gamification

    learner_id = site.accounts["learner"][2]
    learner = Principal(user_id=learner_id, role="learner")
    with session_scope(site.settings) as session:
        game = gamification.summary(session, learner_id=learner_id)
        badges = gamification.badges(session, learner_id=learner_id, cursor=None, limit=12).items
        issued = certificates.list_certificates(
            session, principal=learner, user_id=None, cursor=None, limit=20, public_url="http://x"
        ).items
    html = _learner_page(site)
    for name, value in (("xp", game.xp), ("level", game.level), ("streak", game.current_streak)):
        found = re.search(rf'data-figure="{name}">.*?data-value="([^"]*)"', html, re.S)
        assert found and found.group(1) == str(value), name
    assert game.xp > 0 and badges and issued, "the demo learner has XP, a badge and a certificate"
    assert re.findall(r'data-badge="([^"]+)"', html) == [badge.slug for badge in badges]
    shown = re.findall(r'data-certificate="([^"]+)" data-status="([^"]+)"', html)
    assert shown == [(str(c.certificate_id), c.status) for c in issued]
    first = issued[0]
    assert f'href="/app/verify/{first.verification_code}"' in html
    pdf = site.client("learner").get(f"/app/certificates/{first.certificate_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # Someone else's certificate is not theirs to download from the pages either.
    assert site.client("instructor").get(f"/app/certificates/{first.certificate_id}/pdf").status_code == 403
