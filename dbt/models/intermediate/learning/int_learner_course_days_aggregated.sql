{{ config(
    materialized='incremental',
    meta={'refresh_column': 'activity_date'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('activity_date') }}",
    on_schema_change='fail',
    indexes=[{'columns': ['activity_date']}, {'columns': ['learner_id', 'course_id']}],
) }}

{#
    The one model that reads events for the course and platform marts: every event lands in exactly one
    row, so the marts add these rows up instead of scanning events again. Events outside any course keep
    a row with a null course_id (the platform's active learners count them); the registration is part of
    the grain so that a mart can attribute activity to a course run. Scores are summed as numeric so that
    averages do not depend on the order rows are added in.
#}

with

events as (

    select * from {{ ref('stg_skillstudio__learner_events') }}

    where {{ in_refresh_window_utc('occurred_at') }}
        -- A served list of recommendations is something the platform did, not the learner: no activity.
        and verb <> 'was-served'

),

aggregated as (

    select
        actor_id as learner_id,
        course_id,
        enrollment_id,
        occurred_on as activity_date,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        count(*) as events,
        count(*) filter (where verb not in ('registered', 'unregistered')) as interaction_events,
        count(*) filter (where verb = 'registered' and object_type = 'course') as enrollments,
        count(*) filter (where verb = 'unregistered' and object_type = 'course') as drops,
        count(*) filter (where verb = 'completed' and object_type = 'lesson') as lesson_completions,
        count(*) filter (where verb = 'completed' and object_type = 'course') as course_completions,
        count(*) filter (
            where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'
        ) as assessment_attempts,
        count(*) filter (where verb = 'passed' and object_type = 'assessment') as assessments_passed,
        count(score_scaled) filter (
            where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'
        ) as scored_assessment_attempts,
        sum(score_scaled::numeric) filter (
            where verb in ('passed', 'failed', 'completed') and object_type = 'assessment'
        ) as assessment_score_sum,
        max(occurred_at) filter (where verb = 'registered' and object_type = 'course') as last_registered_at,
        max(occurred_at) filter (where verb = 'unregistered' and object_type = 'course') as last_unregistered_at

    from events

    group by actor_id, course_id, enrollment_id, occurred_on

),

final as (

    select * from aggregated

    where {{ in_refresh_window('activity_date') }}

)

select * from final
