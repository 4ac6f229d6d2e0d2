{{ config(
    materialized='incremental',
    meta={'refresh_column': 'first_active_on'},
    tags=['daily'],
    unique_key='cohort_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ delete_refresh_window('first_active_on') }}",
    on_schema_change='fail',
) }}

{#
    A cohort's first day with any activity of its enrollments (int_enrollment_days_aggregated): the cohort
    is the course run, or the course for enrollments without a run. fct_enrollment_features reads it to
    tell a cohort without click data (a gap in the data) from idle learners.

    Kept rather than recomputed, like int_learner_first_active_days: a refresh reads only the window's
    enrollment days, drops the cohorts whose first day fell in the window (the pre-hook), and writes each
    cohort active in the window whose kept first day is not earlier.
#}

with

enrollment_days as (

    select * from {{ ref('int_enrollment_days_aggregated') }}

    where {{ in_refresh_window('activity_date', target_day_column='first_active_on') }}

),

enrollments as (

    select * from {{ ref('stg_skillstudio__enrollments') }}

),

first_days_in_window as (

    select
        coalesce(enrollments.course_run_id, enrollments.course_id) as cohort_id,
        enrollments.course_id,
        enrollments.course_run_id,
        min(enrollment_days.activity_date) as first_active_on

    from enrollment_days
    inner join enrollments
        on enrollments.enrollment_id = enrollment_days.enrollment_id

    group by enrollments.course_id, enrollments.course_run_id

),

final as (

    select * from first_days_in_window

    {% if is_incremental() -%}
    where not exists (
        select 1
        from {{ this }} as kept
        where kept.cohort_id = first_days_in_window.cohort_id
            and kept.first_active_on < first_days_in_window.first_active_on
    )
    {%- endif %}

)

select * from final
