{{ config(
    materialized='incremental',
    meta={'refresh_column': 'activity_date'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('activity_date') }}",
    on_schema_change='fail',
) }}

{#
    The learner course days of the window (int_learner_course_days_aggregated, one row per learner, course,
    registration and UTC day) added up per course and day: a learner with two registrations in a course on
    one day is one active learner. Scores are summed as numeric so that the average does not depend on the
    order rows are added in.
#}

with

learner_course_days as (

    select * from {{ ref('int_learner_course_days_aggregated') }}

    where course_id is not null
        and {{ in_refresh_window('activity_date') }}

),

course_days as (

    select
        course_id,
        activity_date,
        count(distinct learner_id) as active_learners,
        sum(enrollments) as enrollments,
        sum(drops) as drops,
        sum(lesson_completions) as lesson_completions,
        sum(course_completions) as completions,
        sum(assessment_attempts) as assessment_attempts,
        sum(assessments_passed) as assessments_passed,
        sum(scored_assessment_attempts) as scored_assessment_attempts,
        sum(assessment_score_sum) as assessment_score_sum

    from learner_course_days

    group by course_id, activity_date

),

final as (

    select
        course_id,
        activity_date,
        active_learners,
        enrollments::bigint as enrollments,
        drops::bigint as drops,
        lesson_completions::bigint as lesson_completions,
        completions::bigint as completions,
        assessment_attempts::bigint as assessment_attempts,
        assessments_passed::bigint as assessments_passed,
        scored_assessment_attempts::bigint as scored_assessment_attempts,
        round(assessment_score_sum / nullif(scored_assessment_attempts, 0), 4) as average_assessment_score

    from course_days

)

select * from final
