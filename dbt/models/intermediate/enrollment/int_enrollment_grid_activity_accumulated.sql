{{ config(
    materialized='incremental',
    meta={'refresh_stamp': 'refreshed_at'},
    indexes=[{'columns': ['refreshed_at']}],
    pre_hook=[
        "{{ delete_grid_window(ref('int_enrollment_anchors')) }}",
        "{{ without_nested_loops() }}",
    ],
    post_hook='{{ analyze_grid_model() }}',
    on_schema_change='fail',
) }}

{#
    Activity as known at the end of each grid day: only days up to `as_of_date` are read. The current
    streak is the run of active days ending on day k itself (0 when day k had no activity); the longest
    streak is cut at day k. Lessons completed are catalogue lessons of the course whose first completion in
    this enrollment falls on or before day k.

    Incremental like the grid (dbt/macros/enrollment_grid.sql, `in_grid_window`): a refresh from day d
    recomputes the rows with `as_of_date >= d` and every row of the enrollments re-gridded since its newest
    row, so a day's refresh reads a few thousand enrollments rather than the whole history. Analysed once
    built: it is joined on (enrollment_id, day_k) downstream, and a row count that is a guess turns those
    joins into nested loops (the 2013 OULAD import did not finish in minutes).
#}

with

grid as (

    select * from {{ ref('int_enrollments_gridded') }} as gridded

    where {{ in_grid_window('gridded', ref('int_enrollment_anchors')) }}

),

enrollment_days as (

    select * from {{ ref('int_enrollment_days_aggregated') }}

    where {{ of_grid_enrollments() }}

),

streaks as (

    select * from {{ ref('int_enrollment_streaks_identified') }}

    where {{ of_grid_enrollments() }}

),

learner_lessons as (

    select * from {{ ref('int_learner_lessons_aggregated') }}

    where {{ of_grid_enrollments() }}

),

lessons as (

    select * from {{ ref('stg_skillstudio__lessons') }}

),

activity as (

    select
        grid.enrollment_id,
        grid.day_k,
        coalesce(sum(enrollment_days.event_count), 0)::bigint as event_count,
        coalesce(sum(enrollment_days.click_count), 0)::bigint as click_count,
        count(enrollment_days.activity_date) as active_days,
        coalesce(sum(enrollment_days.event_count) filter (
            where enrollment_days.activity_date > grid.as_of_date - 7
        ), 0)::bigint as events_last_7_days,
        coalesce(sum(enrollment_days.event_count) filter (
            where enrollment_days.activity_date > grid.as_of_date - 14
        ), 0)::bigint as events_last_14_days,
        grid.as_of_date - max(enrollment_days.activity_date) as days_since_last_activity

    from grid
    left join enrollment_days
        on enrollment_days.enrollment_id = grid.enrollment_id
        and enrollment_days.activity_date <= grid.as_of_date

    group by grid.enrollment_id, grid.day_k, grid.as_of_date

),

streaks_as_of as (

    select
        grid.enrollment_id,
        grid.day_k,
        coalesce(
            max(least(streaks.streak_end_date, grid.as_of_date) - streaks.streak_start_date + 1), 0
        ) as longest_streak_days,
        coalesce(
            max(grid.as_of_date - streaks.streak_start_date + 1) filter (
                where streaks.streak_end_date >= grid.as_of_date
            ), 0
        ) as current_streak_days

    from grid
    left join streaks
        on streaks.enrollment_id = grid.enrollment_id
        and streaks.streak_start_date <= grid.as_of_date

    group by grid.enrollment_id, grid.day_k

),

course_lessons as (

    select
        course_id,
        count(*) as lesson_count

    from lessons

    group by course_id

),

lessons_completed as (

    select
        grid.enrollment_id,
        grid.day_k,
        count(*) as lessons_completed

    from grid
    inner join learner_lessons
        on learner_lessons.enrollment_id = grid.enrollment_id
        and learner_lessons.course_id = grid.course_id
        and (learner_lessons.first_completed_at at time zone 'UTC')::date <= grid.as_of_date

    group by grid.enrollment_id, grid.day_k

),

final as (

    select
        grid.enrollment_id,
        grid.day_k,
        grid.as_of_date,
        activity.event_count,
        activity.click_count,
        activity.active_days,
        activity.events_last_7_days,
        activity.events_last_14_days,
        activity.days_since_last_activity,
        streaks_as_of.longest_streak_days,
        streaks_as_of.current_streak_days,
        coalesce(lessons_completed.lessons_completed, 0) as lessons_completed,
        round(
            coalesce(lessons_completed.lessons_completed, 0)::numeric / nullif(course_lessons.lesson_count, 0), 4
        ) as progress_share,
        {{ grid_refreshed_at() }} as refreshed_at

    from grid
    inner join activity
        on activity.enrollment_id = grid.enrollment_id
        and activity.day_k = grid.day_k
    inner join streaks_as_of
        on streaks_as_of.enrollment_id = grid.enrollment_id
        and streaks_as_of.day_k = grid.day_k
    left join lessons_completed
        on lessons_completed.enrollment_id = grid.enrollment_id
        and lessons_completed.day_k = grid.day_k
    left join course_lessons
        on course_lessons.course_id = grid.course_id

)

select * from final
