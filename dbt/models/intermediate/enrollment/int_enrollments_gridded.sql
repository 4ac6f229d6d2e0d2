{{ config(materialized='table', post_hook='analyze {{ this }}') }}

{#
    The grid of days at which an enrollment's features are taken: day k counts from the run's first day
    (`starts_on`), or from the day of enrollment when the enrollment has no run, and is the UTC date
    `anchor_date + k`. A day is on the grid when it has ended (before today, UTC), lies within the run's
    length where the run has one, and the learner had registered by then: nothing on the grid is a day
    that has not happened, or one the enrollment did not exist on yet.

    A table, analysed once built, rather than a view: it is joined on (enrollment_id, day_k) downstream, and
    a view's row count is a guess that turns those joins into nested loops (the 2013 OULAD import did not
    finish in minutes).
#}

{%- set feature_days = var('enrollment_feature_days', [7, 14, 30, 60, 100, 150, 200, 250]) %}

with

enrollments as (

    select * from {{ ref('stg_skillstudio__enrollments') }}

),

course_runs as (

    select * from {{ ref('stg_skillstudio__course_runs') }}

),

grid_days as (

    select unnest(array[{{ feature_days | join(', ') }}]::integer[]) as day_k

),

anchored as (

    select
        enrollments.enrollment_id,
        enrollments.user_id as learner_id,
        enrollments.course_id,
        enrollments.course_run_id,
        course_runs.starts_on,
        course_runs.length_days,
        (enrollments.enrolled_at at time zone 'UTC')::date as enrolled_on,
        (enrollments.unregistered_at at time zone 'UTC')::date as unregistered_on,
        (enrollments.completed_at at time zone 'UTC')::date as completed_on,
        coalesce(course_runs.starts_on, (enrollments.enrolled_at at time zone 'UTC')::date) as anchor_date

    from enrollments
    left join course_runs
        on course_runs.course_run_id = enrollments.course_run_id

),

final as (

    select
        anchored.enrollment_id,
        anchored.learner_id,
        anchored.course_id,
        anchored.course_run_id,
        grid_days.day_k,
        anchored.anchor_date,
        anchored.anchor_date + grid_days.day_k as as_of_date,
        anchored.starts_on,
        anchored.enrolled_on,
        anchored.unregistered_on,
        anchored.completed_on

    from anchored
    cross join grid_days

    where (anchored.length_days is null or grid_days.day_k <= anchored.length_days)
        and anchored.anchor_date + grid_days.day_k < (now() at time zone 'UTC')::date
        and anchored.enrolled_on <= anchored.anchor_date + grid_days.day_k

)

select * from final
