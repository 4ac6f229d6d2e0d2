{{ config(
    materialized='incremental',
    tags=['events'],
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
    The completion-risk model's input: each enrollment's features at each grid day k, from what was known
    at the end of that day. Rows of enrollments that had unregistered by day k are kept and flagged
    (`is_unregistered`): a model at day k scores only enrollments still open, and drops them itself.

    A course run (or, for enrollments without a run, a course) without any activity event by day k is a gap
    in the data, not a class of idle learners (OULAD's partial click files): its activity features are null
    and `has_activity_data` is false. Measured by day k like every feature, so that later rows cannot
    change it.

    The label: `completed` is true for a pass or a distinction, and for a completion the learning API
    records without a graded outcome; false for a fail or a withdrawal; null while the enrollment is open
    (dbt/macros/enrollment_labels.sql).

    Incremental like the grid and the accumulations it joins (dbt/macros/enrollment_grid.sql,
    `in_grid_window`): a refresh from day d writes the rows with `as_of_date >= d` and every row of the
    enrollments re-gridded since its newest row, which include those that finished or dropped (the label's
    inputs are among the anchors). `refreshed_at` stamps each row with the run that wrote it.
#}

with

grid as (

    select * from {{ ref('int_enrollments_gridded') }} as gridded

    where {{ in_grid_window('gridded', ref('int_enrollment_anchors')) }}

),

activity as (

    select * from {{ ref('int_enrollment_grid_activity_accumulated') }}

    where {{ of_grid_enrollments() }}

),

assessments as (

    select * from {{ ref('int_enrollment_grid_assessments_accumulated') }}

    where {{ of_grid_enrollments() }}

),

enrollments as (

    select * from {{ ref('int_enrollments_summarised') }}

    where {{ of_grid_enrollments() }}

),

cohort_first_days as (

    select * from {{ ref('int_cohort_first_active_days') }}

),

coverage as (

    select
        grid.enrollment_id,
        grid.day_k,
        coalesce(cohort_first_days.first_active_on <= grid.as_of_date, false) as has_activity_data

    from grid
    left join cohort_first_days
        on cohort_first_days.cohort_id = coalesce(grid.course_run_id, grid.course_id)

),

labelled as (

    select
        enrollment_id,
        {{ enrollment_completed_label() }} as completed,
        {{ enrollment_outcome_label() }} as outcome

    from enrollments

),

final as (

    select
        grid.enrollment_id,
        grid.learner_id,
        grid.course_id,
        grid.course_run_id,
        grid.day_k,
        grid.as_of_date,
        case when coverage.has_activity_data then activity.event_count end as event_count,
        case when coverage.has_activity_data then activity.click_count end as click_count,
        case when coverage.has_activity_data then activity.active_days end as active_days,
        case when coverage.has_activity_data then activity.events_last_7_days end as events_last_7_days,
        case when coverage.has_activity_data then activity.events_last_14_days end as events_last_14_days,
        case
            when coverage.has_activity_data then activity.days_since_last_activity
        end as days_since_last_activity,
        case when coverage.has_activity_data then activity.longest_streak_days end as longest_streak_days,
        case when coverage.has_activity_data then activity.current_streak_days end as current_streak_days,
        case when coverage.has_activity_data then activity.lessons_completed end as lessons_completed,
        case when coverage.has_activity_data then activity.progress_share end as progress_share,
        assessments.assessments_due,
        assessments.assessments_submitted,
        assessments.assessments_submitted_late,
        assessments.assessments_missed,
        assessments.mean_score,
        assessments.last_score,
        assessments.score_trend,
        assessments.weighted_score,
        grid.starts_on - grid.enrolled_on as days_registered_before_start,
        coalesce(grid.unregistered_on <= grid.as_of_date, false) as is_unregistered,
        coalesce(grid.completed_on <= grid.as_of_date, false) as is_finished,
        labelled.completed,
        labelled.outcome,
        coverage.has_activity_data,
        {{ grid_refreshed_at() }} as refreshed_at

    from grid
    inner join activity
        on activity.enrollment_id = grid.enrollment_id
        and activity.day_k = grid.day_k
    inner join assessments
        on assessments.enrollment_id = grid.enrollment_id
        and assessments.day_k = grid.day_k
    inner join labelled
        on labelled.enrollment_id = grid.enrollment_id
    inner join coverage
        on coverage.enrollment_id = grid.enrollment_id
        and coverage.day_k = grid.day_k

)

select * from final
