"""The marts the analytics API filters are indexed on the columns it filters by, so reads stay indexed."""

from __future__ import annotations

import pytest

from tests.warehouses import Warehouse

# (mart, the columns of an index the API's queries use): by key, and by day alone for the first and last
# day a mart holds (min and max read from the index, not from a scan of every learner's days).
INDEXED = [
    ("fct_platform_daily", ["activity_date"]),
    ("fct_course_daily", ["course_id", "activity_date"]),
    ("fct_course_daily", ["activity_date"]),
    ("fct_course_summary", ["course_id"]),
    ("fct_course_lesson_funnel", ["course_id", "lesson_number"]),
    ("fct_instructor_summary", ["instructor_id"]),
    ("fct_question_stats", ["course_id"]),
    ("fct_learner_daily", ["learner_id", "activity_date"]),
    ("fct_learner_daily", ["activity_date"]),
]


@pytest.mark.parametrize(("mart", "columns"), INDEXED)
def test_the_mart_has_its_index(generated_warehouse: Warehouse, mart: str, columns: list[str]) -> None:
    found = generated_warehouse.rows(
        "select array_agg(a.attname order by k.n) from pg_index i "
        "join pg_class c on c.oid = i.indrelid join pg_namespace s on s.oid = c.relnamespace "
        "cross join lateral unnest(i.indkey) with ordinality as k(attnum, n) "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum "
        "where s.nspname = 'analytics' and c.relname = %s group by i.indexrelid",
        mart,
    )
    assert columns in [row[0] for row in found], found
