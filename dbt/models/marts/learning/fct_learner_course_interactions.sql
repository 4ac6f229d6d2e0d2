{{ config(
    materialized='incremental',
    indexes=[{'columns': ["((last_at at time zone 'UTC')::date)"]}],
    meta={'refresh_column': '(last_at at time zone \'UTC\')::date'},
    tags=['daily'],
    unique_key=['learner_id', 'course_id'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

{#
    A pair's figures span all its history, so a refresh recomputes the pairs with any activity in the
    window from all their learner course days (int_learner_course_days_aggregated keeps archived days too)
    and replaces those rows by key. Without vars the window starts on the UTC day of the latest event
    already in the mart. The window is read on the incremental path only, so the archive is declared here.
#}
{{ declare_archive_dependency() }}

with

learner_course_days as (

    select * from {{ ref('int_learner_course_days_aggregated') }}

    where course_id is not null

),

{% if is_incremental() -%}
refreshed_pairs as (

    select distinct
        learner_id,
        course_id

    from learner_course_days

    where {{ in_refresh_window('activity_date', target_day_column="(last_at at time zone 'UTC')::date") }}

),

{% endif -%}
per_learner_course as (

    select
        learner_course_days.learner_id,
        learner_course_days.course_id,
        min(learner_course_days.first_event_at) as first_at,
        max(learner_course_days.last_event_at) as last_at,
        sum(learner_course_days.interaction_events)::bigint as event_count,
        max(learner_course_days.last_registered_at) as last_registered_at,
        max(learner_course_days.last_unregistered_at) as last_unregistered_at

    from learner_course_days
    {%- if is_incremental() %}
    inner join refreshed_pairs
        on refreshed_pairs.learner_id = learner_course_days.learner_id
        and refreshed_pairs.course_id = learner_course_days.course_id
    {%- endif %}

    group by learner_course_days.learner_id, learner_course_days.course_id

),

final as (

    select
        learner_id,
        course_id,
        first_at,
        last_at,
        event_count,
        -- Enrolled: registered, and not unregistered since the latest registration.
        (
            last_registered_at is not null
            and (last_unregistered_at is null or last_unregistered_at <= last_registered_at)
        ) as is_enrolled

    from per_learner_course

)

select * from final
