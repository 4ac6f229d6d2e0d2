{{ config(materialized='table', tags=['events']) }}

{#
    One pass over the events: first per course, UTC day and learner (so that active learners is a plain
    count rather than a distinct count over all of a day's events), then per course and day. Scores are
    summed as numeric so that the average does not depend on the order rows are added in.
#}

with

learner_course_days as (

    select
        course_id,
        occurred_on as activity_date,
        actor_id,
        count(*) filter (where verb = 'registered' and object_type = 'course') as enrollments,
        count(*) filter (where verb = 'unregistered' and object_type = 'course') as drops,
        count(*) filter (where verb = 'completed' and object_type = 'lesson') as lesson_completions,
        count(*) filter (where verb = 'completed' and object_type = 'course') as completions,
        count(*) filter (
            where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'
        ) as assessment_attempts,
        count(*) filter (where verb = 'passed' and object_type = 'assessment') as assessments_passed,
        count(score_scaled) filter (
            where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'
        ) as scored_assessment_attempts,
        sum(score_scaled::numeric) filter (
            where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'
        ) as assessment_score_sum

    from {{ ref('stg_skillstudio__learner_events') }}

    where course_id is not null

    group by course_id, occurred_on, actor_id

),

course_days as (

    select
        course_id,
        activity_date,
        count(*) as active_learners,
        sum(enrollments) as enrollments,
        sum(drops) as drops,
        sum(lesson_completions) as lesson_completions,
        sum(completions) as completions,
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
