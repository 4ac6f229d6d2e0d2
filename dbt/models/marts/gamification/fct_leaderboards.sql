-- Leaderboards: XP per learner by period (all time, UTC month, ISO week) and scope (everyone, one course),
-- ranked by XP, then the earlier time the total was reached, then learner id, so ties always rank the same.
-- Learners who opted out are on no board. Global boards have the nil uuid as course_id.

with

xp as (

    select * from {{ ref('stg_skillstudio__xp_transactions') }}

),

opted_out as (

    select learner_id from {{ ref('stg_skillstudio__learner_stats') }}
    where leaderboard_opt_out

),

eligible as (

    select xp.* from xp
    where not exists (select 1 from opted_out where opted_out.learner_id = xp.learner_id)

),

by_period as (

    select learner_id, course_id, xp, occurred_at, 'all_time' as period, date '0001-01-01' as period_start
    from eligible
    union all
    select learner_id, course_id, xp, occurred_at, 'month',
        date_trunc('month', occurred_at at time zone 'UTC')::date
    from eligible
    union all
    select learner_id, course_id, xp, occurred_at, 'week',
        date_trunc('week', occurred_at at time zone 'UTC')::date
    from eligible

),

scoped as (

    select period, period_start, 'global' as scope,
        '00000000-0000-0000-0000-000000000000'::uuid as course_id, learner_id, xp, occurred_at
    from by_period
    union all
    select period, period_start, 'course', course_id, learner_id, xp, occurred_at
    from by_period
    where course_id is not null

),

totals as (

    select period, period_start, scope, course_id, learner_id,
        sum(xp)::bigint as xp, max(occurred_at) as reached_at
    from scoped
    group by 1, 2, 3, 4, 5

),

final as (

    select
        md5(period || '|' || period_start || '|' || scope || '|' || course_id || '|' || learner_id)
            as leaderboard_entry_key,
        period,
        period_start,
        scope,
        course_id,
        learner_id,
        xp,
        reached_at,
        row_number() over (
            partition by period, period_start, scope, course_id
            order by xp desc, reached_at, learner_id
        )::int as rank
    from totals

)

select * from final
