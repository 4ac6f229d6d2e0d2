"""The whole path: generate history, run every asset in process, serve recommendations over HTTP.

Each learner's latest enrollment is taken out of the database before the pipeline runs, so the served
model never sees it; recall@10 of those held-out courses over HTTP must beat the most-popular list.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import nbformat
import psycopg
import pytest
from fastapi.testclient import TestClient
from nbclient import NotebookClient

from pipelines.materialize import materialize_all
from skillstudio.db import libpq_url
from skillstudio.main.app import create_app
from skillstudio.settings import Settings
from skillstudio.sources.synthetic import GeneratorConfig, generate
from skillstudio.web.security import issue_access_token
from tests.pipelines.small_runs import SMALL_PIPELINE_OPS

HOLD_OUT_LATEST = """
with ranked as (
    select enrollment_id, user_id, course_id,
           row_number() over (partition by user_id order by enrolled_at desc, course_id) as recency,
           count(*) over (partition by user_id) as taken
    from enrollments
), held_out as (
    select enrollment_id, user_id, course_id from ranked where recency = 1 and taken >= 2
), dropped_events as (
    delete from learner_events where registration in (select enrollment_id from held_out)
), dropped as (
    delete from enrollments where enrollment_id in (select enrollment_id from held_out)
)
select user_id, course_id from held_out
"""


NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def recall(recommended: dict[uuid.UUID, list[uuid.UUID]], held_out: dict[uuid.UUID, uuid.UUID]) -> float:
    return sum(held_out[learner] in recommended[learner][:10] for learner in held_out) / len(held_out)


@pytest.mark.slow
def test_generated_history_to_served_recommendations(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path, database_url=fresh_database)
    with psycopg.connect(libpq_url(fresh_database)) as conn:
        generate(
            conn, GeneratorConfig(learners=500, courses=40, days=60, seed=21, end_date=date(2026, 10, 31))
        )
        held_out = {learner: course for learner, course in conn.execute(HOLD_OUT_LATEST).fetchall()}
        enrolled: dict[uuid.UUID, set[uuid.UUID]] = {}
        for learner, course in conn.execute("select user_id, course_id from enrollments").fetchall():
            enrolled.setdefault(learner, set()).add(course)
        daily = conn.execute("select count(*) from learner_events").fetchone()
    assert len(held_out) > 200 and daily is not None and daily[0] > 0

    result = materialize_all(settings, ops=SMALL_PIPELINE_OPS)
    assert result.success
    materialized = {
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key
    }
    assert {"fct_platform_daily", "fct_learner_course_interactions", "course_recommender"} <= materialized

    popularity = Counter(course for courses in enrolled.values() for course in courses)
    by_popularity = [course for course, _ in popularity.most_common()]
    served: dict[uuid.UUID, list[uuid.UUID]] = {}
    baseline: dict[uuid.UUID, list[uuid.UUID]] = {}
    with TestClient(create_app(settings)) as client:
        for learner in held_out:
            # Each learner asks for their own, as the serving layer only answers the learner (or an admin).
            token = issue_access_token(settings, user_id=learner, role="learner")
            response = client.get(
                f"/api/v1/learners/{learner}/recommendations",
                params={"k": 10},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200
            body = response.json()
            assert body["fallback"] is False and len(body["items"]) == 10
            served[learner] = [uuid.UUID(item["course_id"]) for item in body["items"]]
            assert not set(served[learner]) & enrolled[learner]
            baseline[learner] = [course for course in by_popularity if course not in enrolled[learner]][:10]
        newcomer = uuid.uuid4()
        token = issue_access_token(settings, user_id=newcomer, role="learner")
        stranger = client.get(
            f"/api/v1/learners/{newcomer}/recommendations", headers={"Authorization": f"Bearer {token}"}
        ).json()
    assert stranger["fallback"] is True and len(stranger["items"]) == 10

    model_recall, popular_recall = recall(served, held_out), recall(baseline, held_out)
    assert model_recall > popular_recall + 0.05, (model_recall, popular_recall)

    # The data scientists' notebooks run against the marts this pipeline just built.
    monkeypatch.setenv("SKILLSTUDIO_DATABASE_URL", fresh_database)
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(
            notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        ).execute()
        outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
        assert outputs and not [output for output in outputs if output.output_type == "error"], path.name
