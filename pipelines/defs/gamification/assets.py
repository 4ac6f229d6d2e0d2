"""The leaderboards' serving cache: the current periods of ``fct_leaderboards`` copied into
``leaderboard_entries``, which ``GET /api/v1/leaderboards`` reads with one index range."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

import psycopg
from dagster import AssetExecutionContext, BackfillPolicy, MaterializeResult, asset
from dagster_dbt import get_asset_key_for_model

from pipelines.defs.analytics.assets import DAILY, analytics_dbt_assets
from pipelines.defs.resources import PostgresResource
from skillstudio.db import libpq_url

LEADERBOARDS = get_asset_key_for_model([analytics_dbt_assets], "fct_leaderboards")

# All time, this UTC month and this ISO week, with the names shown; replaced whole in one transaction, so
# a reader sees the old boards or the new ones, never a mix.
_COPY = """
delete from leaderboard_entries;
insert into leaderboard_entries (period, scope, course_id, rank, learner_id, display_name, xp, reached_at,
    period_start, refreshed_at)
select f.period, f.scope, f.course_id, f.rank, f.learner_id, u.display_name, f.xp, f.reached_at,
    case when f.period = 'all_time' then null else f.period_start end, now()
from analytics.fct_leaderboards f
join users u on u.user_id = f.learner_id
where f.period = 'all_time'
    or (f.period = 'month' and f.period_start = date_trunc('month', now() at time zone 'UTC')::date)
    or (f.period = 'week' and f.period_start = date_trunc('week', now() at time zone 'UTC')::date);
"""


@asset(
    deps=[LEADERBOARDS],
    partitions_def=DAILY,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="gamification",
)
def leaderboard_cache(context: AssetExecutionContext, postgres: PostgresResource) -> MaterializeResult:
    """Copy the current leaderboards from the mart into the API's serving table."""
    with psycopg.connect(libpq_url(postgres.url)) as conn, conn.cursor() as cursor:
        cursor.execute(_COPY)
        cursor.execute("select period, count(*) from leaderboard_entries group by 1")
        counts = {period: count for period, count in cursor.fetchall()}
    return MaterializeResult(
        metadata={f"rows_{period}": counts.get(period, 0) for period in ("all_time", "month", "week")}
    )
