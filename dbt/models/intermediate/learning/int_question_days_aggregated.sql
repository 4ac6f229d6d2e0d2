{{ config(
    materialized='incremental',
    unique_key='attempt_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

{#
    The sums fct_question_stats is made of, per question and the UTC day its attempts started: answers,
    first answers (a learner's first answer to the question, so that the days add up to distinct
    learners), answers right, and for the answers with a rest score (the share right of the attempt's other
    answered items) their count, the answers right among them, the least and greatest rest score, and the
    sums of the rest score, of its square and of its product with the item's score. Every figure of the
    mart is a sum, a least or a greatest of these, the point-biserial included (from n, Σx, Σy, Σy², Σxy;
    Σx² = Σx for a 0/1 score), so a day's refresh recomputes a few days of answers, not the history's.

    Sums of the rest score are floating point, added in one order (by attempt, `order by` in the
    aggregate) so that one full build and day by day refreshes give the same bits: numeric sums were exact
    too, but cost a full build four times as much.

    Incremental by attempt day: an attempt's answers can arrive after the day it started, so a refresh
    recomputes every day on which an attempt answered in the window started, from all of those days'
    attempts, and replaces those days' rows (`unique_key`). A learner's first answer to a question is
    judged from their whole history (fct_skill_responses holds it), in the order of `seq`.
#}
{{ declare_archive_dependency() }}

with

-- Not materialized: each is read more than once, and a materialized CTE would copy every response (and
-- attempt) of the history on each refresh, where each use reads the relation and keeps only what it needs.
responses as not materialized (

    select * from {{ ref('fct_skill_responses') }}

),

attempts as not materialized (

    select * from {{ ref('stg_skillstudio__assessment_attempts') }}

),

{% if is_incremental() -%}
refreshed_days as (

    select distinct (attempts.started_at at time zone 'UTC')::date as attempt_date

    from responses
    inner join attempts
        on attempts.attempt_id = responses.attempt_id

    where {{ in_refresh_window_utc('responses.answered_at', target_day_column='attempt_date') }}

),

refreshed_attempts as (

    select
        attempt_id,
        user_id

    from attempts

    where (started_at at time zone 'UTC')::date in (select attempt_date from refreshed_days)

),

{% endif -%}

learner_answers as (

    select
        attempt_id,
        question_id,
        correct,
        row_number() over (
            partition by learner_id, question_id
            order by answered_at, attempt_id, item_position
        ) = 1 as is_first_answer

    from responses

    {% if is_incremental() -%}
    where learner_id in (select user_id from refreshed_attempts)
    {%- endif %}

),

answers as (

    select
        learner_answers.attempt_id,
        learner_answers.question_id,
        learner_answers.correct::integer as item_score,
        learner_answers.is_first_answer,
        (attempts.started_at at time zone 'UTC')::date as attempt_date

    from learner_answers
    inner join attempts
        on attempts.attempt_id = learner_answers.attempt_id

    {% if is_incremental() -%}
    where learner_answers.attempt_id in (select attempt_id from refreshed_attempts)
    {%- endif %}

),

attempt_totals as (

    select
        attempt_id,
        count(*) as answered_items,
        sum(item_score) as correct_items

    from answers

    group by attempt_id

),

scored as (

    select
        answers.question_id,
        answers.attempt_date,
        answers.is_first_answer,
        answers.item_score,
        answers.attempt_id,
        case
            when attempt_totals.answered_items > 1
                then (attempt_totals.correct_items - answers.item_score)::double precision
                    / (attempt_totals.answered_items - 1)
        end as rest_score

    from answers
    inner join attempt_totals
        on attempt_totals.attempt_id = answers.attempt_id

),

final as (

    select
        question_id,
        attempt_date,
        count(*) as answers,
        count(*) filter (where is_first_answer) as first_answers,
        sum(item_score) as correct_answers,
        count(rest_score) as rest_scored_answers,
        coalesce(sum(item_score) filter (where rest_score is not null), 0) as rest_scored_correct_answers,
        min(rest_score) as rest_score_min,
        max(rest_score) as rest_score_max,
        coalesce(sum(rest_score order by attempt_id), 0) as rest_score_sum,
        coalesce(sum(rest_score * rest_score order by attempt_id), 0) as rest_score_square_sum,
        coalesce(sum(rest_score order by attempt_id) filter (where item_score = 1), 0) as correct_rest_score_sum

    from scored

    group by question_id, attempt_date

)

select * from final
