{{ config(
    materialized='incremental',
    meta={'refresh_column': 'first_active_on'},
    tags=['daily'],
    unique_key='learner_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ delete_refresh_window('first_active_on') }}",
    on_schema_change='fail',
) }}

{#
    A learner's first active day needs all history, so it is kept rather than recomputed: a refresh reads
    only the window's learner days, drops the learners whose first day fell in the window (the pre-hook),
    and writes each learner active in the window whose kept first day is not earlier. A late event before a
    learner's kept first day moves it back (the row is replaced by key).
#}

with

learner_days as (

    select * from {{ ref('int_learner_course_days_aggregated') }}

    where {{ in_refresh_window('activity_date', target_day_column='first_active_on') }}

),

first_days_in_window as (

    select
        learner_id,
        min(activity_date) as first_active_on

    from learner_days

    group by learner_id

),

final as (

    select * from first_days_in_window

    {% if is_incremental() -%}
    where not exists (
        select 1
        from {{ this }} as kept
        where kept.learner_id = first_days_in_window.learner_id
            and kept.first_active_on < first_days_in_window.first_active_on
    )
    {%- endif %}

)

select * from final
