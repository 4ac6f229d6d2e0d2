{{ config(
    materialized='incremental',
    meta={'refresh_column': 'activity_date'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('activity_date') }}",
    on_schema_change='fail',
) }}

{#
    Postgres cannot count distinct values over a window frame, so WAU and MAU count coverage spans: each
    learner day starts a span that lasts 7 (30) days or until the learner's next active day, whichever is
    first. Spans of one learner never overlap, so the spans covering a day are its distinct active learners:
    +1 where a span starts, -1 where it ends, summed in day order. A window reads its learner days 29 days
    back, the longest span that can reach its first day.

    The days run from the first learner's first day to the last day with an event; a refresh given an
    explicit refresh_to also writes its quiet days up to it (never past today, UTC), so a quiet day at the
    end of one partition is not missing once the next day has events.

    Revenue and MRR come with payments: they will be columns of this mart, from a payments staging model.
#}

with

learner_days as (

    select
        learner_id,
        activity_date,
        sum(enrollments) as enrollments,
        sum(drops) as drops,
        sum(lesson_completions) as lesson_completions,
        sum(course_completions) as course_completions,
        sum(assessment_attempts) as quiz_attempts,
        sum(assessments_passed) as quiz_passes

    from {{ ref('int_learner_course_days_aggregated') }}

    where {{ in_refresh_window('activity_date', lookback_days=29) }}

    group by learner_id, activity_date

),

course_days as (

    select
        activity_date,
        count(distinct course_id) as active_courses

    from {{ ref('int_learner_course_days_aggregated') }}

    where course_id is not null
        and {{ in_refresh_window('activity_date') }}

    group by activity_date

),

first_active_days as (

    select * from {{ ref('int_learner_first_active_days') }}

),

bounds as (

    select
        (select min(first_active_on) from first_active_days) as first_day,
        (select max(activity_date) from {{ ref('int_learner_course_days_aggregated') }}) as last_day

),

day_spine as (

    select day::date as activity_date

    from bounds
    cross join lateral generate_series(
        bounds.first_day,
        {% if is_incremental() and refresh_bound('refresh_to') is not none -%}
            least({{ refresh_to() }}, greatest(bounds.last_day, (now() at time zone 'UTC')::date)),
        {%- else -%}
            bounds.last_day,
        {%- endif %}
        interval '1 day'
    ) as day

    where {{ in_refresh_window('day::date', lookback_days=29) }}

),

learner_spans as (

    select
        activity_date,
        least(activity_date + 7, next_active_on) as week_span_ends_on,
        least(activity_date + 30, next_active_on) as month_span_ends_on

    from (
        select
            activity_date,
            lead(activity_date) over (partition by learner_id order by activity_date) as next_active_on

        from learner_days
    ) as ordered_learner_days

),

span_changes as (

    select activity_date, 1 as week_change, 1 as month_change from learner_spans
    union all
    select week_span_ends_on, -1, 0 from learner_spans
    union all
    select month_span_ends_on, 0, -1 from learner_spans

),

daily_changes as (

    select
        activity_date,
        sum(week_change) as week_change,
        sum(month_change) as month_change

    from span_changes

    group by activity_date

),

active_learners as (

    select
        day_spine.activity_date,
        sum(coalesce(daily_changes.week_change, 0)) over (order by day_spine.activity_date) as wau,
        sum(coalesce(daily_changes.month_change, 0)) over (order by day_spine.activity_date) as mau

    from day_spine
    left join daily_changes
        on daily_changes.activity_date = day_spine.activity_date

),

day_totals as (

    select
        activity_date,
        count(*) as dau,
        sum(enrollments) as enrollments,
        sum(drops) as drops,
        sum(lesson_completions) as lesson_completions,
        sum(course_completions) as course_completions,
        sum(quiz_attempts) as quiz_attempts,
        sum(quiz_passes) as quiz_passes

    from learner_days

    group by activity_date

),

new_learners as (

    select
        first_active_on as activity_date,
        count(*) as new_learners

    from first_active_days

    where {{ in_refresh_window('first_active_on') }}

    group by first_active_on

),

final as (

    select
        active_learners.activity_date,
        coalesce(day_totals.dau, 0) as dau,
        active_learners.wau::bigint as wau,
        active_learners.mau::bigint as mau,
        round(coalesce(day_totals.dau, 0)::numeric / nullif(active_learners.mau, 0), 4) as dau_mau_ratio,
        coalesce(new_learners.new_learners, 0) as new_learners,
        coalesce(day_totals.enrollments, 0)::bigint as enrollments,
        coalesce(day_totals.drops, 0)::bigint as drops,
        coalesce(day_totals.lesson_completions, 0)::bigint as lesson_completions,
        coalesce(day_totals.course_completions, 0)::bigint as course_completions,
        coalesce(day_totals.quiz_attempts, 0)::bigint as quiz_attempts,
        coalesce(day_totals.quiz_passes, 0)::bigint as quiz_passes,
        round(day_totals.quiz_passes::numeric / nullif(day_totals.quiz_attempts, 0), 4) as quiz_pass_rate,
        coalesce(course_days.active_courses, 0) as active_courses

    from active_learners
    left join day_totals
        on day_totals.activity_date = active_learners.activity_date
    left join new_learners
        on new_learners.activity_date = active_learners.activity_date
    left join course_days
        on course_days.activity_date = active_learners.activity_date

    where {{ in_refresh_window('active_learners.activity_date') }}

)

select * from final
