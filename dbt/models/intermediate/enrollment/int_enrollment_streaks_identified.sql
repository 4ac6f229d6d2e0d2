{{ config(
    materialized='incremental',
    indexes=[{'columns': ['streak_end_date']}],
    meta={'refresh_column': 'streak_end_date'},
    unique_key='enrollment_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

{#
    Gaps and islands: consecutive active days share `activity_date - their rank`, so each value of it is
    one streak.

    Incremental by enrollment: a refresh recomputes, from all their days, the streaks of the enrollments
    active in the window and replaces those enrollments' rows (the other enrollments' streaks cannot have
    changed). A table rather than a view, so that the grid accumulation reads a few enrollments' streaks
    instead of ranking every enrollment day of the history on each refresh.
#}
{{ declare_archive_dependency() }}

with

enrollment_days as (

    select * from {{ ref('int_enrollment_days_aggregated') }}

),

{% if is_incremental() -%}
refreshed_enrollments as (

    select distinct enrollment_id

    from enrollment_days

    where {{ in_refresh_window('activity_date', target_day_column='streak_end_date') }}

),

{% endif -%}

ranked as (

    select
        enrollment_id,
        activity_date,
        activity_date - (row_number() over (
            partition by enrollment_id order by activity_date
        ))::integer as streak_anchor

    from enrollment_days

    {% if is_incremental() -%}
    where enrollment_id in (select enrollment_id from refreshed_enrollments)
    {%- endif %}

),

final as (

    select
        enrollment_id,
        min(activity_date) as streak_start_date,
        max(activity_date) as streak_end_date

    from ranked

    group by enrollment_id, streak_anchor

)

select * from final
