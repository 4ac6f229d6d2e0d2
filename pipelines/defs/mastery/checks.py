"""The blocking check on what the mastery model trains on: every graded answer is in the mart."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from dagster import AssetCheckResult, asset_check

from pipelines.defs.mastery.assets import SKILL_RESPONSES
from pipelines.defs.resources import PostgresResource


@asset_check(
    asset=SKILL_RESPONSES,
    blocking=True,
    description="Every learner-skill pair of the answered attempt items is in the mart with the same "
    "number of answers and of right ones; blocks the mastery model, which would otherwise train on a "
    "mart behind the answers.",
)
def skill_responses_reconcile_with_answers(postgres: PostgresResource) -> AssetCheckResult:
    # Attempt items are never archived (unlike events), so the counts must match exactly.
    row = postgres.read_row(
        """
        with answers as (
            select a.user_id as learner_id, q.skill_id,
                count(*) as answers, count(*) filter (where i.is_correct) as right_answers
            from attempt_items i
            join assessment_attempts a on a.attempt_id = i.attempt_id
            join questions q on q.question_id = i.question_id
            where i.answered_at is not null
            group by 1, 2
        ),
        mart as (
            select learner_id, skill_id,
                count(*) as answers, count(*) filter (where correct) as right_answers
            from analytics.fct_skill_responses
            group by 1, 2
        )
        select
            coalesce(sum(answers.answers), 0)::bigint as answer_count,
            coalesce(sum(mart.answers), 0)::bigint as mart_answer_count,
            count(*) filter (where mart.learner_id is null) as pairs_missing_from_mart,
            count(*) filter (where answers.learner_id is null) as pairs_not_in_answers,
            count(*) filter (
                where mart.answers <> answers.answers or mart.right_answers <> answers.right_answers
            ) as pairs_with_other_counts
        from answers full join mart using (learner_id, skill_id)
        """
    )
    wrong = row["pairs_missing_from_mart"], row["pairs_not_in_answers"], row["pairs_with_other_counts"]
    return AssetCheckResult(passed=not any(wrong), metadata=row)
