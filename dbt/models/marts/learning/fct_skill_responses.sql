{{ config(
    materialized='incremental',
    indexes=[{'columns': ["((answered_at at time zone 'UTC')::date)"]}],
    meta={'refresh_column': "(answered_at at time zone 'UTC')::date"},
    unique_key='learner_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

{#
    Graded answers come from the attempt items the learning API (and the generator) write with their
    server-side grade, not from `answered` events: an event names neither the attempt nor, reliably, the
    question's skill. Unanswered items (served, never answered) are not responses.

    Incremental by learner: the answer numbers (`seq`, `learner_seq`) count a learner's whole history, so
    a refresh renumbers, from all their answers, the learners who answered in the window and replaces
    their rows; everyone else's rows cannot have changed. Without vars the window starts on the UTC day
    of the latest answer already held.
#}
{{ declare_archive_dependency() }}

with

-- Not materialized: read twice (the learners to refresh, then their answers), a materialized CTE would copy
-- every attempt item of the history on each refresh, where each use reads the view and keeps only what it
-- needs.
attempt_items as not materialized (

    select * from {{ ref('stg_skillstudio__attempt_items') }}

),

attempts as not materialized (

    select * from {{ ref('stg_skillstudio__assessment_attempts') }}

),

questions as (

    select * from {{ ref('stg_skillstudio__questions') }}

),

{% if is_incremental() -%}
refreshed_learners as (

    select distinct attempts.user_id as learner_id

    from attempt_items
    inner join attempts
        on attempts.attempt_id = attempt_items.attempt_id

    where {{ in_refresh_window_utc(
        'attempt_items.answered_at', target_day_column="(answered_at at time zone 'UTC')::date"
    ) }}

),

{% endif -%}

answered as (

    select
        attempts.user_id as learner_id,
        questions.skill_id,
        attempt_items.question_id,
        attempt_items.answered_at,
        attempt_items.is_correct as correct,
        questions.course_id,
        attempts.assessment_id,
        attempt_items.attempt_id,
        attempt_items.item_position

    from attempt_items
    inner join attempts
        on attempts.attempt_id = attempt_items.attempt_id
    inner join questions
        on questions.question_id = attempt_items.question_id

    where attempt_items.answered_at is not null
        {% if is_incremental() -%}
        and attempts.user_id in (select learner_id from refreshed_learners)
        {%- endif %}

),

final as (

    select
        learner_id,
        skill_id,
        -- Answers at the same instant keep their attempt's order: attempt, then position in it.
        (row_number() over (
            partition by learner_id, skill_id
            order by answered_at, attempt_id, item_position
        ) - 1)::integer as seq,
        (row_number() over (
            partition by learner_id
            order by answered_at, attempt_id, item_position
        ) - 1)::integer as learner_seq,
        question_id,
        answered_at,
        correct,
        course_id,
        assessment_id,
        attempt_id,
        item_position

    from answered

)

select * from final
