{{ config(tags=['events']) }}

{#
    Lesson events are matched to catalogue lessons by their object id, which the events API takes as free
    text: an object that is no lesson of the catalogue is left out. Events without a registration still
    count as reaching the lesson (enrollment_id null).
#}

with

lesson_events as (

    select
        actor_id,
        enrollment_id,
        object_id,
        min(occurred_at) as first_reached_at,
        max(occurred_at) as last_reached_at,
        min(occurred_at) filter (where verb = 'completed') as first_completed_at,
        count(*) as event_count

    from {{ ref('stg_skillstudio__learner_events') }}

    where object_type = 'lesson'

    group by actor_id, enrollment_id, object_id

),

lessons as (

    select * from {{ ref('stg_skillstudio__lessons') }}

),

aggregated as (

    select
        lesson_events.actor_id as learner_id,
        lesson_events.enrollment_id,
        lessons.lesson_id,
        lessons.course_id,
        lesson_events.first_reached_at,
        lesson_events.last_reached_at,
        lesson_events.first_completed_at,
        lesson_events.event_count

    from lesson_events
    inner join lessons
        on lessons.lesson_id::text = lesson_events.object_id

)

select * from aggregated
