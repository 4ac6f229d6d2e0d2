{#
    Postgres cannot count distinct values over a window frame, so WAU and MAU join each day of the spine
    to the actor-days of the 7 and 30 days ending on it and count distinct actors per day.
#}

with

events as (

    select * from {{ ref('stg_skillstudio__learner_events') }}

),

actor_days as (

    select distinct
        actor_id,
        occurred_on

    from events

),

bounds as (

    select
        min(occurred_on) as first_day,
        max(occurred_on) as last_day

    from actor_days

),

day_spine as (

    select day::date as activity_date

    from bounds
    cross join lateral generate_series(bounds.first_day, bounds.last_day, interval '1 day') as day

),

active_actors as (

    select
        day_spine.activity_date,
        count(distinct actor_days.actor_id)
            filter (where actor_days.occurred_on = day_spine.activity_date) as dau,
        count(distinct actor_days.actor_id)
            filter (where actor_days.occurred_on > day_spine.activity_date - 7) as wau,
        count(distinct actor_days.actor_id) as mau

    from day_spine
    left join actor_days
        on actor_days.occurred_on > day_spine.activity_date - 30
        and actor_days.occurred_on <= day_spine.activity_date

    group by day_spine.activity_date

),

first_active_days as (

    select
        actor_id,
        min(occurred_on) as first_active_on

    from actor_days

    group by actor_id

),

new_learners as (

    select
        first_active_on as activity_date,
        count(*) as new_learners

    from first_active_days

    group by first_active_on

),

course_enrollments as (

    select
        occurred_on as activity_date,
        count(*) as enrollments

    from events

    where verb = 'registered'
        and object_type = 'course'

    group by occurred_on

),

final as (

    select
        active_actors.activity_date,
        active_actors.dau,
        active_actors.wau,
        active_actors.mau,
        round(active_actors.dau::numeric / nullif(active_actors.mau, 0), 4) as dau_mau_ratio,
        coalesce(new_learners.new_learners, 0) as new_learners,
        coalesce(course_enrollments.enrollments, 0) as enrollments

    from active_actors
    left join new_learners
        on new_learners.activity_date = active_actors.activity_date
    left join course_enrollments
        on course_enrollments.activity_date = active_actors.activity_date

)

select * from final
