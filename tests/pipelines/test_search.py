"""The course_embeddings asset and its sensor, in process on a database of its own with the real model."""

from __future__ import annotations

import psycopg
from dagster import ExecuteInProcessResult, SkipReason, build_sensor_context, materialize

from pipelines.defs.resources import PostgresResource
from pipelines.defs.search.assets import course_embeddings
from pipelines.defs.search.sensors import changed_courses
from skillstudio.db import libpq_url

COURSES = [
    ("Intro to statistics", "Math", "beginner", "Means, variances and the normal curve."),
    ("Organic chemistry", "Chemistry", "advanced", None),
    ("Public speaking", "Communication", "beginner", "Speak to a room with confidence."),
]


def _metadata(result: ExecuteInProcessResult) -> dict[str, object]:
    (event,) = result.get_asset_materialization_events()
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_the_asset_embeds_new_and_changed_courses_and_the_sensor_asks_for_it(fresh_database: str) -> None:
    postgres = PostgresResource(url=fresh_database)
    with psycopg.connect(libpq_url(fresh_database), autocommit=True) as conn:
        for title, subject, level, description in COURSES:
            conn.execute(
                "insert into courses (course_id, title, subject, level, description) "
                "values (gen_random_uuid(), %s, %s, %s, %s)",
                (title, subject, level, description),
            )
        context = build_sensor_context(resources={"postgres": postgres})
        first = changed_courses(context)
        assert not isinstance(first, SkipReason) and len(first.run_requests or []) == 1
        assert isinstance(
            changed_courses(build_sensor_context(cursor=first.cursor, resources={"postgres": postgres})),
            SkipReason,
        )

        result = materialize([course_embeddings], resources={"postgres": postgres})
        assert result.success
        metadata = _metadata(result)
        assert (metadata["encoded"], metadata["unchanged"], metadata["courses"]) == (3, 0, 3)
        assert metadata["column_type"] == "vector(384)"
        norms = conn.execute("select round((embedding <#> embedding)::numeric, 4) from course_embeddings")
        assert [float(norm) for (norm,) in norms] == [-1.0, -1.0, -1.0]  # unit vectors

        conn.execute("update courses set description = 'Now with Python.', updated_at = now() "
                     "where title = 'Intro to statistics'")  # fmt: skip
        edited = changed_courses(build_sensor_context(cursor=first.cursor, resources={"postgres": postgres}))
        assert not isinstance(edited, SkipReason) and edited.cursor != first.cursor
        again = _metadata(materialize([course_embeddings], resources={"postgres": postgres}))
        assert (again["encoded"], again["unchanged"]) == (1, 2)
