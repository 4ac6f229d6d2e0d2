{{ config(
    materialized='incremental',
    indexes=[{'columns': ['activity_date']}],
    meta={'refresh_column': 'activity_date'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('activity_date') }}",
    on_schema_change='fail',
) }}

{#
    Lesson events per day, by the object id the events API took as free text: matching it to catalogue
    lessons happens downstream (int_learner_lessons_aggregated), so a lesson added to the catalogue later
    still finds the days already aggregated.
#}

with

lesson_events as (

    select * from {{ ref('stg_skillstudio__learner_events') }}

    where object_type = 'lesson'
        and {{ in_refresh_window_utc('occurred_at') }}

),

aggregated as (

    select
        actor_id as learner_id,
        enrollment_id,
        object_id,
        occurred_on as activity_date,
        min(occurred_at) as first_reached_at,
        max(occurred_at) as last_reached_at,
        min(occurred_at) filter (where verb = 'completed') as first_completed_at,
        count(*) as event_count

    from lesson_events

    group by actor_id, enrollment_id, object_id, occurred_on

),

final as (

    select * from aggregated

    where {{ in_refresh_window('activity_date') }}

)

select * from final
