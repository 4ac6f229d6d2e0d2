with

events as (

    select * from {{ ref('stg_skillstudio__learner_events') }}

),

course_events as (

    select * from events

    where course_id is not null

),

per_learner_course as (

    select
        actor_id as learner_id,
        course_id,
        min(occurred_at) as first_at,
        max(occurred_at) as last_at,
        count(*) filter (where verb not in ('registered', 'unregistered')) as event_count,
        max(occurred_at) filter (where verb = 'registered' and object_type = 'course') as last_registered_at,
        max(occurred_at) filter (where verb = 'unregistered' and object_type = 'course') as last_unregistered_at

    from course_events

    group by actor_id, course_id

),

final as (

    select
        learner_id,
        course_id,
        first_at,
        last_at,
        event_count,
        -- Enrolled: registered, and not unregistered since the latest registration.
        (
            last_registered_at is not null
            and (last_unregistered_at is null or last_unregistered_at <= last_registered_at)
        ) as is_enrolled

    from per_learner_course

)

select * from final
