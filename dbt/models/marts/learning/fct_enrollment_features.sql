{{ config(
    materialized='incremental',
    tags=['events'],
    meta={'refresh_column': 'as_of_date'},
    pre_hook=[
        "{{ delete_accumulated_window(ref('int_enrollments_gridded')) }}",
        "{{ delete_relabelled_enrollments(ref('int_enrollments_summarised')) }}",
        "{{ without_nested_loops() }}",
    ],
    post_hook='analyze {{ this }}',
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

    Incremental as of a grid day like the accumulations it joins (`in_accumulated_window`): a refresh from
    day d writes the rows with `as_of_date >= d`, the grid's new rows, and every row of an enrollment whose
    label changed since it was written (finished or dropped: its pre-hook compares the labels held).
#}

with

grid as (

    select * from {{ ref('int_enrollments_gridded') }} as gridded

    where {{ in_accumulated_window('gridded') }}

),

activity as (

    select * from {{ ref('int_enrollment_grid_activity_accumulated') }}

    where {{ of_accumulated_enrollments() }}

),

assessments as (

    select * from {{ ref('int_enrollment_grid_assessments_accumulated') }}

    where {{ of_accumulated_enrollments() }}

),

enrollments as (

    select * from {{ ref('int_enrollments_summarised') }}

),

enrollment_days as (

    select * from {{ ref('int_enrollment_days_aggregated') }}

),

cohort_first_activity as (

    select
        enrollments.course_id,
        enrollments.course_run_id,
        min(enrollment_days.activity_date) as first_activity_date

    from enrollments
    inner join enrollment_days
        on enrollment_days.enrollment_id = enrollments.enrollment_id

    group by enrollments.course_id, enrollments.course_run_id

),

coverage as (

    select
        grid.enrollment_id,
        grid.day_k,
        coalesce(cohort_first_activity.first_activity_date <= grid.as_of_date, false) as has_activity_data

    from grid
    left join cohort_first_activity
        on cohort_first_activity.course_id = grid.course_id
        and cohort_first_activity.course_run_id is not distinct from grid.course_run_id

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
        coverage.has_activity_data

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
