"""A question's edit page (issue 14 point 3's "link to edit the item"): the form reads and writes through the
assessments service, with its CSRF token and the version it was read at; only the course's instructor and
admins open it; the saved change is what the next page shows, with its one event."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from fastapi.testclient import TestClient

from app_api.pages.security import CSRF_COOKIE
from tests.app_api.pages.conftest import Site

PAGE = "/app/instructor/questions/{}"


def _question(site: Site, n: int) -> tuple[uuid.UUID, str, float, int]:
    """The n-th question (by id) of the demo instructor's courses: id, prompt, difficulty, version."""
    rows = site.warehouse.rows(
        "select q.question_id, q.prompt, q.difficulty, q.version from questions q "
        "join courses c using (course_id) where c.instructor_id = %s order by q.question_id",
        site.accounts["instructor"][2],
    )
    assert len(rows) > n
    return rows[n]


def _form(client: TestClient, question_id: uuid.UUID) -> tuple[str, dict[str, str]]:
    page = client.get(PAGE.format(question_id))
    assert page.status_code == 200
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page.text))
    prompt = re.search(r'<textarea id="prompt" name="prompt"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert prompt
    return page.text, fields | {"prompt": unescape(prompt.group(1))}


def _updates(site: Site, question_id: uuid.UUID) -> list[tuple[str, dict[str, object]]]:
    return site.warehouse.rows(
        "select verb, extensions from learner_events where object_type = 'question' and object_id = %s "
        "and verb like %s order by received_at",
        str(question_id),
        "%update%",
    )


def test_the_form_shows_the_question_and_saves_an_edit(site: Site) -> None:
    question_id, prompt, difficulty, version = _question(site, 0)
    client = site.client("instructor")
    text, fields = _form(client, question_id)
    assert fields["prompt"] == prompt and float(fields["difficulty"]) == difficulty
    assert fields["version"] == str(version) and fields["csrf_token"]
    before = _updates(site, question_id)
    edited = {**fields, "prompt": f"{prompt} <b>(reworded)</b>", "difficulty": "-0.75"}
    saved = client.post(PAGE.format(question_id), data=edited)
    assert (saved.status_code, saved.headers["location"]) == (303, PAGE.format(question_id) + "?saved=true")
    [(stored_prompt, stored_difficulty, stored_version)] = site.warehouse.rows(
        "select prompt, difficulty, version from questions where question_id = %s", question_id
    )
    assert (stored_prompt, stored_difficulty, stored_version) == (edited["prompt"], -0.75, version + 1)
    after = client.get(saved.headers["location"])
    assert f"Saved: this is version {version + 1}." in after.text
    assert "&lt;b&gt;(reworded)&lt;/b&gt;" in after.text and "<b>(reworded)" not in after.text
    new = _updates(site, question_id)[len(before) :]
    assert len(new) == 1 and sorted(new[0][1]["fields"]) == ["difficulty", "prompt"]  # type: ignore[arg-type]


def test_an_edit_from_a_stale_form_is_told_not_saved(site: Site) -> None:
    question_id, prompt, _, version = _question(site, 1)
    client = site.client("instructor")
    _, fields = _form(client, question_id)
    first = client.post(PAGE.format(question_id), data={**fields, "prompt": "First edit"})
    assert first.status_code == 303
    stale = client.post(PAGE.format(question_id), data={**fields, "prompt": "Second edit"})
    assert stale.status_code == 412
    assert "Someone saved this question after you opened it" in stale.text
    assert f'name="version" value="{version + 1}"' in stale.text and "Second edit" in stale.text
    [(stored,)] = site.warehouse.rows("select prompt from questions where question_id = %s", question_id)
    assert stored == "First edit"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("difficulty", "hard", "Enter a number"),
        ("difficulty", "9", "less than or equal to 6"),
        ("discrimination", "0", "greater than 0"),
        ("prompt", "   ", "at least 1 character"),
    ],
)
def test_invalid_values_are_told_by_field(site: Site, field: str, value: str, message: str) -> None:
    question_id, prompt, difficulty, version = _question(site, 2)
    client = site.client("instructor")
    _, fields = _form(client, question_id)
    refused = client.post(PAGE.format(question_id), data={**fields, field: value})
    assert refused.status_code == 422
    error = re.search(rf'data-error="{field}">(.*?)</p>', refused.text)
    assert error and message in error.group(1)
    assert site.warehouse.rows(
        "select prompt, difficulty, version from questions where question_id = %s", question_id
    ) == [(prompt, difficulty, version)]


def test_only_the_courses_instructor_and_admins_open_or_post_it(site: Site) -> None:
    question_id, prompt, _, _ = _question(site, 3)
    assert site.client("admin").get(PAGE.format(question_id)).status_code == 200
    for role, refused in (("learner", {403}), ("other_instructor", {403, 404})):
        client = site.client(role)
        client.get("/app/sign-in")  # a CSRF cookie and token of its own
        token = client.cookies.get(CSRF_COOKIE, path="/app") or ""
        assert client.get(PAGE.format(question_id)).status_code in refused
        data = {
            "csrf_token": token,
            "prompt": "Not theirs",
            "difficulty": "0",
            "discrimination": "1",
            "version": "1",
        }
        assert client.post(PAGE.format(question_id), data=data).status_code in refused
    _, fields = _form(site.client("instructor"), question_id)
    without_token = site.client("instructor")
    without_token.get(PAGE.format(question_id))
    forged = without_token.post(
        PAGE.format(question_id), data={**fields, "csrf_token": "forged", "prompt": "x"}
    )
    assert forged.status_code == 403 and "security token" in forged.text
    [(stored,)] = site.warehouse.rows("select prompt from questions where question_id = %s", question_id)
    assert stored == prompt
