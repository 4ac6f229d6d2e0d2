{# A table, not a view: the funnel and this model's tests read it, and a view would aggregate the lesson
   days (millions of rows on a year of history) once for each of them on every run. The second index serves
   the funnel's distinct learners per lesson: read in its order, they need no sort of millions of rows. #}
{{ config(
    materialized='incremental',
    indexes=[
        {'columns': ["((last_reached_at at time zone 'UTC')::date)"]},
        {'columns': ['lesson_id', 'learner_id', 'first_completed_at']},
    ],
    meta={'refresh_column': "(last_reached_at at time zone 'UTC')::date"},
    unique_key='learner_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

{#
    Lesson events are matched to catalogue lessons by their object id, which the events API takes as free
    text: an object that is no lesson of the catalogue is left out. Events without a registration still
    count as reaching the lesson (enrollment_id null). The days come from the incremental
    int_learner_lesson_days_aggregated, so this model never reads events.

    Incremental by learner: a refresh recomputes, from all their lesson days, the learners with lesson
    activity in the window and replaces their rows (the key is the learner because enrollment_id may be
    null, which a key of several columns could not match).
#}
{{ declare_archive_dependency() }}

with

lesson_days as (

    select * from {{ ref('int_learner_lesson_days_aggregated') }}

    {% if is_incremental() -%}
    where learner_id in (
        select learner_id
        from {{ ref('int_learner_lesson_days_aggregated') }}
        where {{ in_refresh_window(
            'activity_date', target_day_column="(last_reached_at at time zone 'UTC')::date"
        ) }}
    )
    {%- endif %}

),

lessons as (

    select * from {{ ref('stg_skillstudio__lessons') }}

),

lesson_events as (

    select
        learner_id,
        enrollment_id,
        object_id,
        min(first_reached_at) as first_reached_at,
        max(last_reached_at) as last_reached_at,
        min(first_completed_at) as first_completed_at,
        sum(event_count)::bigint as event_count

    from lesson_days

    group by learner_id, enrollment_id, object_id

),

aggregated as (

    select
        lesson_events.learner_id,
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
