{# Events are append-only: a day's refresh tests the window's events only (macros/test_window.sql). #}
{{ config(meta={'refresh_column': 'occurred_at'}) }}

with

source as (

    select * from {{ source('skillstudio', 'learner_events') }}

),

renamed as (

    select
        event_id,
        occurred_at,
        (occurred_at at time zone 'UTC')::date as occurred_on,
        received_at,
        actor_id,
        verb,
        object_type,
        object_id,
        course_id,
        module_id,
        registration as enrollment_id,
        attempt,
        score_scaled,
        success,
        completion,
        response,
        duration_s,
        extensions

    from source

)

select * from renamed
