{{ config(
    materialized='incremental',
    indexes=[{'columns': ['learner_id', 'activity_date']}, {'columns': ['activity_date']}],
    meta={'refresh_column': 'activity_date'},
    tags=['daily'],
    pre_hook="{{ delete_refresh_window('activity_date') }}",
    on_schema_change='fail',
) }}

{#
    Learning events are those on a learning object (course, module, lesson, question, assessment, video,
    discussion) other than authoring (created, updated, deleted): log-ins, account and profile changes,
    goals, badges and served recommendations are not studying.

    Minutes: a day's learning events in time order, the gaps between consecutive ones summed where a gap
    is at most `session_gap_minutes` (a longer gap ends a session, and its time is not counted).

    Streak: consecutive active days ending on the row's day. A day's row needs the day before's streak,
    which an incremental run does not read events for: it takes it from this table's row of the day before
    the window, so that refreshing day by day gives the streaks of a full build.
#}

with

events as (

    select * from {{ ref('stg_skillstudio__learner_events') }}

    where {{ in_refresh_window_utc('occurred_at') }}

),

learning_events as (

    select
        actor_id as learner_id,
        occurred_on as activity_date,
        occurred_at,
        verb,
        object_type,
        object_id,
        course_id,
        success

    from events

    where object_type in ('course', 'module', 'lesson', 'question', 'assessment', 'video', 'discussion')
        and verb not in ('created', 'updated', 'deleted')

),

gaps as (

    select
        *,
        occurred_at - lag(occurred_at) over (
            partition by learner_id, activity_date
            order by occurred_at
        ) as gap

    from learning_events

),

learner_days as (

    select
        learner_id,
        activity_date,
        count(*) as events,
        count(distinct object_id) filter (
            where verb = 'completed' and object_type = 'lesson'
        ) as lessons_completed,
        count(*) filter (where verb = 'answered') as answers,
        count(*) filter (where verb = 'answered' and success) as correct_answers,
        round(
            coalesce(
                sum(extract(epoch from gap)) filter (
                    where gap <= interval '1 minute' * {{ var('session_gap_minutes') }}
                ),
                0
            ) / 60,
            2
        ) as minutes,
        count(distinct course_id) as courses_active

    from gaps

    group by learner_id, activity_date

),

islands as (

    -- Consecutive days share activity_date minus their rank: one island per run of active days.
    select
        *,
        activity_date - (row_number() over (
            partition by learner_id
            order by activity_date
        ))::integer as island

    from learner_days

),

runs as (

    select
        *,
        min(activity_date) over (partition by learner_id, island) as run_started_on,
        row_number() over (partition by learner_id, island order by activity_date) as run_days

    from islands

),

{% if is_incremental() %}

streaks_before as (

    select
        learner_id,
        current_streak_days

    from {{ this }}

    where activity_date = {{ refresh_from() }} - 1

),

{% endif %}

final as (

    select
        runs.learner_id,
        runs.activity_date,
        runs.events,
        runs.lessons_completed,
        runs.answers,
        runs.correct_answers,
        runs.minutes,
        runs.courses_active,
        {% if is_incremental() %}
        runs.run_days + case
            when runs.run_started_on = {{ refresh_from() }}
                then coalesce(streaks_before.current_streak_days, 0)
            else 0
        end as current_streak_days
        {% else %}
        runs.run_days as current_streak_days
        {% endif %}

    from runs
    {% if is_incremental() %}
    left join streaks_before
        on streaks_before.learner_id = runs.learner_id
    {% endif %}

)

select * from final where {{ in_refresh_window('activity_date') }}
