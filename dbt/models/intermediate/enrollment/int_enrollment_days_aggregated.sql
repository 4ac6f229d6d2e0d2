{{ config(
    materialized='incremental',
    indexes=[{'columns': ['activity_date']}],
    meta={'refresh_column': 'activity_date'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('activity_date') }}",
    on_schema_change='fail',
) }}

{#
    Activity is what a learner does with the course's content: every event of the enrollment (its
    registration) except those on the course itself (registering, unregistering, completing) and on
    assessments (submissions, which the assessment features read from the attempts). OULAD's VLE clicks are
    one event per student, site and day carrying their count in `extensions.clicks`; an event without a
    count is one click.
#}

with

events as (

    select * from {{ ref('stg_skillstudio__learner_events') }}

    where {{ in_refresh_window_utc('occurred_at') }}

),

activity_events as (

    select
        enrollment_id,
        occurred_on,
        -- The events API takes extensions as given: a count that is no number counts as one click.
        case
            when jsonb_typeof(extensions -> 'clicks') = 'number'
                then round((extensions ->> 'clicks')::numeric)::bigint
            else 1
        end as clicks

    from events

    where enrollment_id is not null
        and object_type not in ('course', 'assessment')

),

final as (

    select
        enrollment_id,
        occurred_on as activity_date,
        count(*) as event_count,
        sum(clicks)::bigint as click_count

    from activity_events

    group by enrollment_id, occurred_on

)

select * from final where {{ in_refresh_window('activity_date') }}
