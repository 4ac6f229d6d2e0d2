"""The XP ledger sums to every learner's totals: a blocking check before the leaderboards are served."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from dagster import AssetCheckResult, asset_check

from pipelines.defs.gamification.assets import LEADERBOARDS
from pipelines.defs.resources import PostgresResource

# Learners whose totals row and ledger disagree, either way (a ledger without a totals row too).
LEDGER_MISMATCHES = """
with ledger as (select user_id, sum(xp)::bigint as xp from xp_transactions group by 1)
select
    count(*) filter (where coalesce(s.xp, 0) <> coalesce(l.xp, 0)) as learners_that_differ,
    coalesce(sum(l.xp), 0)::bigint as ledger_xp,
    coalesce(sum(s.xp), 0)::bigint as totals_xp
from learner_stats s full join ledger l using (user_id)
"""


@asset_check(
    asset=LEADERBOARDS,
    blocking=True,
    description="Every learner's XP total equals the sum of their XP ledger; blocks the leaderboard cache.",
)
def xp_ledger_sums_to_totals(postgres: PostgresResource) -> AssetCheckResult:
    row = postgres.read_row(LEDGER_MISMATCHES)
    return AssetCheckResult(passed=row["learners_that_differ"] == 0, metadata=row)
