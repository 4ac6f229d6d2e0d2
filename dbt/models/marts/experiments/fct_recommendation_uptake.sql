{#
    Live experiments on recommendations (issue 13 point 5): per variant and UTC day of serving, how many
    learners were served lists, how many courses they were shown, and how many of them took one up, with
    the uptake rate's 95% Wilson score interval.

    A served list is a `was-served recommendation_list` event (serving/experiments.py): its variant and its
    course ids are extensions. A served learner took a list up when they enrolled in one of that list's
    courses at or after it was served and less than `recommendation_uptake_days` (14) days later. A learner
    served several lists in a day and variant counts once, taken up if any of them was. Days less than 14
    days old are still open: their uptake can only grow, and `uptake_open_until` says until when.

    Wilson score interval for x successes out of n, with z = 1.959964 (95%) and p = x / n:
        (p + z²/2n ± z·sqrt(p(1 - p)/n + z²/4n²)) / (1 + z²/n)
    It stays within [0, 1] and is sensible for small n and for p near 0 or 1, where the normal
    approximation is not.
#}

{{ config(
    materialized='incremental',
    meta={'refresh_column': 'served_on'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('served_on', lookback_days=var('recommendation_uptake_days')) }}",
    on_schema_change='fail',
) }}

{#
    Incremental by UTC day like every mart that reads events (dbt/README.md). A row depends on the
    enrollments of the 14 days after its day, so refreshing days d..e recomputes the rows served from
    d - 14 through e: an enrollment on day d can take up a list served up to 14 days before.
#}

{% set z = 1.959964 %}

with

served as (

    select
        event_id as list_id,
        actor_id as learner_id,
        occurred_at as served_at,
        occurred_on as served_on,
        extensions ->> 'variant' as variant,
        extensions -> 'items' as items

    from {{ ref('stg_skillstudio__learner_events') }}

    where verb = 'was-served' and object_type = 'recommendation_list'
        and {{ in_refresh_window_utc(
            'occurred_at', lookback_days=var('recommendation_uptake_days'), target_day_column='served_on'
        ) }}

),

served_courses as (

    select
        served.list_id,
        served.learner_id,
        served.served_at,
        served.served_on,
        served.variant,
        item.course_id::uuid as course_id

    from served

    cross join lateral jsonb_array_elements_text(served.items) as item (course_id)

),

enrollments as (

    select * from {{ ref('stg_skillstudio__enrollments') }}

),

taken_up as (

    select distinct
        served_courses.variant,
        served_courses.served_on,
        served_courses.learner_id

    from served_courses

    inner join enrollments
        on enrollments.user_id = served_courses.learner_id
        and enrollments.course_id = served_courses.course_id
        and enrollments.enrolled_at >= served_courses.served_at
        and enrollments.enrolled_at
        < served_courses.served_at + make_interval(days => {{ var('recommendation_uptake_days') }})

),

daily as (

    select
        variant,
        served_on,
        count(distinct learner_id) as learners_served,
        count(*) as lists_served,
        coalesce(sum(jsonb_array_length(items)), 0) as impressions

    from served

    group by variant, served_on

),

uptake as (

    select
        variant,
        served_on,
        count(*) as learners_taken_up

    from taken_up

    group by variant, served_on

),

rates as (

    select
        daily.variant,
        daily.served_on,
        daily.learners_served,
        daily.lists_served,
        daily.impressions,
        coalesce(uptake.learners_taken_up, 0) as learners_taken_up,
        coalesce(uptake.learners_taken_up, 0)::numeric / daily.learners_served as p,
        daily.learners_served::numeric as n

    from daily

    left join uptake
        on uptake.variant = daily.variant
        and uptake.served_on = daily.served_on

),

intervals as (

    select
        variant,
        served_on,
        learners_served,
        lists_served,
        impressions,
        learners_taken_up,
        p,
        (p + {{ z }} ^ 2 / (2 * n)) / (1 + {{ z }} ^ 2 / n) as centre,
        {{ z }} * sqrt(p * (1 - p) / n + {{ z }} ^ 2 / (4 * n * n)) / (1 + {{ z }} ^ 2 / n) as half_width

    from rates

),

final as (

    select
        intervals.variant,
        intervals.served_on,
        intervals.learners_served,
        intervals.lists_served,
        intervals.impressions,
        intervals.learners_taken_up,
        round(intervals.p, 4) as uptake_rate,
        round(greatest(intervals.centre - intervals.half_width, 0), 4) as uptake_rate_lower,
        round(least(intervals.centre + intervals.half_width, 1), 4) as uptake_rate_upper,
        round(intervals.p - champion.p, 4) as uptake_rate_vs_champion,
        intervals.served_on + {{ var('recommendation_uptake_days') }} as uptake_open_until

    from intervals

    left join intervals as champion
        on champion.served_on = intervals.served_on
        and champion.variant = 'champion'
        and intervals.variant <> 'champion'

)

select * from final
